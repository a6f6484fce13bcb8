from __future__ import annotations

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from vouchers import codes

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class IdempotencyKeyField(forms.CharField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_length=8, max_length=100, **kwargs)


class BuyForm(forms.Form):
    """The confirmation: the key is made when the page is shown, so a double submit buys once."""

    idempotency_key = IdempotencyKeyField()


class RedeemForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=30,
        help_text=_("10 characters, e.g. ABCDE-FGHJK. Dashes and spaces do not matter."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "inputmode": "text"}
        ),
    )
    idempotency_key = IdempotencyKeyField()

    def clean_code(self) -> str:
        try:
            return codes.parse(self.cleaned_data["code"])
        except codes.MalformedCode as exc:
            messages = {
                "length": _("A voucher code has 10 characters."),
                "character": _("The code has a character that voucher codes do not use (0, 1, I, L, O)."),
                "check": _("This code has a typo: check the characters and try again."),
            }
            raise forms.ValidationError(messages[exc.reason], code=exc.reason) from exc


class SettlementForm(forms.Form):
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7, required=False)

    def clean_month(self) -> tuple[int, int] | None:
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise forms.ValidationError(_("Give the month as YYYY-MM, e.g. 2026-03."), code="month")
        return int(match.group(1)), int(match.group(2))
