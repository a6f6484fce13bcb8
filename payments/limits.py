"""Top-up amounts and limits: pure arithmetic on integer cents, no database, no request."""

from __future__ import annotations

from dataclasses import dataclass

from payments.exceptions import AmountOutOfRange, MonthlyLimitReached


@dataclass(frozen=True)
class Limits:
    minimum: int  # euro cents per payment
    maximum: int  # euro cents per payment
    monthly: int  # euro cents per resident and calendar month
    rate: int  # eRaha cents per euro (100 = 1 EUR buys 1 eRaha)
    fixed: tuple[int, ...] = ()

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            minimum=settings.TOP_UP_MIN_CENTS,
            maximum=settings.TOP_UP_MAX_CENTS,
            monthly=settings.TOP_UP_MONTHLY_MAX_CENTS,
            rate=settings.TOP_UP_ERAHA_CENTS_PER_EURO,
            fixed=tuple(settings.TOP_UP_FIXED_AMOUNTS),
        )

    def eraha_for(self, eur_cents: int) -> int:
        """eRaha cents bought with eur_cents, rounded down (the city never gives out a fraction)."""
        return eur_cents * self.rate // 100

    def fixed_amounts(self, *, month_left: int) -> list[int]:
        return [amount for amount in self.fixed if self.minimum <= amount <= min(self.maximum, month_left)]

    def month_left(self, *, month_total: int) -> int:
        return max(0, self.monthly - month_total)

    def check(self, *, eur_cents: int, month_total: int) -> None:
        """Raises AmountOutOfRange or MonthlyLimitReached; month_total counts this month's other top-ups."""
        if isinstance(eur_cents, bool) or not isinstance(eur_cents, int):
            raise AmountOutOfRange()
        if eur_cents < self.minimum or eur_cents > self.maximum:
            raise AmountOutOfRange()
        if self.eraha_for(eur_cents) <= 0:
            raise AmountOutOfRange()
        if month_total + eur_cents > self.monthly:
            raise MonthlyLimitReached()


def proportional_eraha(*, eraha_cents: int, eur_cents: int, part_eur_cents: int) -> int:
    """The eRaha share of part_eur_cents of a top-up (rounded down; the whole gives back exactly eraha_cents)."""
    part = max(0, min(part_eur_cents, eur_cents))
    return eraha_cents * part // eur_cents
