"""eRaha as a django-money currency, and conversions between integer cents and Money at the edges."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import moneyed
from django.utils import formats
from djmoney.money import Money

from wallet.exceptions import InvalidAmount

XER = "XER"
SUB_UNIT = 100


def register_currency() -> None:
    """Registers eRaha (XER) with py-moneyed; safe to call more than once."""
    if XER not in moneyed.CURRENCIES:
        moneyed.add_currency(code=XER, numeric="999", name="eRaha", countries=(), sub_unit=SUB_UNIT)


register_currency()


def xer(cents: int) -> Money:
    return Money(Decimal(int(cents)) / SUB_UNIT, XER)


def eur(cents: int) -> Money:
    return Money(Decimal(int(cents)) / SUB_UNIT, "EUR")


def to_cents(amount) -> int:
    """Money, Decimal, int or text ("12,50", "12.50") → integer cents; refuses more than two decimals."""
    if isinstance(amount, Money):
        amount = amount.amount
    if isinstance(amount, str):
        text = amount.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount() from None
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmount() from None
    if not value.is_finite():
        raise InvalidAmount()
    cents = value * SUB_UNIT
    if cents != cents.to_integral_value():
        raise InvalidAmount()
    return int(cents)


def _format(cents: int) -> str:
    value = Decimal(int(cents)) / SUB_UNIT
    return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def format_eraha(cents: int) -> str:
    """12,50 eRaha in Finnish and Swedish, 12.50 eRaha in English (the active language's number format)."""
    return f"{_format(cents)} eRaha"


def format_euros(cents: int) -> str:
    return f"{_format(cents)} €"
