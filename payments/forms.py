from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.limits import Limits
from wallet.exceptions import InvalidAmount
from wallet.money import format_eraha, format_euros, to_cents

CUSTOM = "custom"


class TopUpForm(forms.Form):
    amount = forms.ChoiceField(label=_("Amount"), widget=forms.RadioSelect, required=False)
    custom_amount = forms.CharField(
        label=_("Other amount (€)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, limits: Limits, month_left: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits
        choices = [
            (
                str(cents),
                _("%(euros)s → %(eraha)s")
                % {"euros": format_euros(cents), "eraha": format_eraha(limits.eraha_for(cents))},
            )
            for cents in limits.fixed_amounts(month_left=month_left)
        ]
        choices.append((CUSTOM, _("Other amount")))
        self.fields["amount"].choices = choices
        self.fields["custom_amount"].help_text = _("From %(minimum)s to %(maximum)s.") % {
            "minimum": format_euros(limits.minimum),
            "maximum": format_euros(min(limits.maximum, max(month_left, limits.minimum))),
        }

    def clean(self):
        data = super().clean()
        choice = data.get("amount")
        if not choice and (data.get("custom_amount") or "").strip():
            choice = CUSTOM  # typed an amount without ticking "Other amount"
        if not choice:
            if "amount" not in self.errors:
                self.add_error("amount", _("Choose an amount."))
            return data
        if choice == CUSTOM:
            text = (data.get("custom_amount") or "").strip()
            if not text:
                self.add_error("custom_amount", _("Enter an amount in euros."))
                return data
            try:
                cents = to_cents(text)
            except InvalidAmount:
                self.add_error("custom_amount", _("Enter an amount in euros, e.g. 12,50."))
                return data
        else:
            cents = int(choice)
        if cents < self.limits.minimum or cents > self.limits.maximum:
            field = "custom_amount" if choice == CUSTOM else "amount"
            self.add_error(
                field,
                _("Choose an amount from %(minimum)s to %(maximum)s.")
                % {"minimum": format_euros(self.limits.minimum), "maximum": format_euros(self.limits.maximum)},
            )
            return data
        data["eur_cents"] = cents
        return data
