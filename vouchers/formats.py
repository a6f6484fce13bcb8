"""Plain machine formats for the API and the CSV (the pages use the eraha_money template filters)."""

from __future__ import annotations


def decimal_euros(cents: int) -> str:
    """Euro cents as a plain decimal with a point: 1250 → "12.50", -5 → "-0.05"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
