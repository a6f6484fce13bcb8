"""{% load eraha_money %}: {{ cents|eraha }} → "12,50 eRaha", {{ cents|euros }} → "12,50 €"."""

from __future__ import annotations

from django import template

from wallet.money import format_eraha, format_euros

register = template.Library()


@register.filter
def eraha(cents) -> str:
    if cents is None or cents == "":
        return ""
    return format_eraha(int(cents))


@register.filter
def euros(cents) -> str:
    if cents is None or cents == "":
        return ""
    return format_euros(int(cents))


@register.filter
def signed_eraha(cents) -> str:
    """+12,50 eRaha for a credit, −12,50 eRaha for a debit (a real minus sign; the page also says which)."""
    if cents is None or cents == "":
        return ""
    cents = int(cents)
    return ("+" if cents > 0 else "\u2212" if cents < 0 else "") + format_eraha(abs(cents))
