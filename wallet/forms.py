from __future__ import annotations

import uuid

from django import forms
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from people.models import User
from wallet.exceptions import InvalidAmount
from wallet.money import to_cents


class SendForm(forms.Form):
    """Send eRaha to a neighbour: recipient by e-mail or handle, amount in eRaha (e.g. 2,50), a memo."""

    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=254,
        help_text=_("The neighbour's e-mail address or handle."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    amount = forms.CharField(
        label=_("Amount (eRaha)"),
        max_length=20,
        help_text=_("For example 2,50"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    memo = forms.CharField(label=_("Message"), max_length=200, required=False)
    # One key per filled-in form: a double click or a refresh sends the same key and pays once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, sender, **kwargs):
        self.sender = sender
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def clean_recipient(self) -> User:
        text = self.cleaned_data["recipient"].strip()
        lookup = text.lstrip("@")
        users = User.objects.annotate(email_ci=Lower("email"))
        found = (
            users.filter(email_ci=lookup.lower()) if "@" in lookup else users.filter(handle=lookup.lower())
        ).first()
        if found is None or not found.is_active:
            raise forms.ValidationError(_("No resident was found with that e-mail address or handle."))
        if found.pk == self.sender.pk:
            raise forms.ValidationError(_("You cannot send eRaha to yourself."))
        return found

    def clean_amount(self) -> int:
        try:
            cents = to_cents(self.cleaned_data["amount"])
        except InvalidAmount:
            raise forms.ValidationError(_("Enter an amount in eRaha with at most two decimals, e.g. 2,50.")) from None
        if cents <= 0:
            raise forms.ValidationError(_("Enter an amount greater than zero."))
        return cents

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not key.isalnum():
            raise forms.ValidationError(_("The form expired. Please fill it in again."))
        return key
