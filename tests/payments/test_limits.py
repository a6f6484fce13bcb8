"""Top-up amounts and limits (pure arithmetic, no database)."""

from __future__ import annotations

import pytest

from payments.exceptions import AmountOutOfRange, MonthlyLimitReached
from payments.limits import Limits, proportional_eraha

LIMITS = Limits(minimum=5_00, maximum=100_00, monthly=200_00, rate=100, fixed=(5_00, 10_00, 20_00, 50_00, 150_00))


def test_the_default_rate_gives_one_eraha_per_euro():
    assert LIMITS.eraha_for(12_34) == 12_34


def test_another_rate_rounds_down_to_whole_cents():
    assert Limits(minimum=1, maximum=1, monthly=1, rate=150).eraha_for(1_01) == 1_51


@pytest.mark.parametrize("amount", [4_99, 100_01, 0, -5_00, True, "10"])
def test_an_amount_outside_the_payment_limits_is_refused(amount):
    with pytest.raises(AmountOutOfRange):
        LIMITS.check(eur_cents=amount, month_total=0)


def test_the_monthly_limit_counts_what_was_already_topped_up():
    LIMITS.check(eur_cents=100_00, month_total=100_00)
    with pytest.raises(MonthlyLimitReached):
        LIMITS.check(eur_cents=5_00, month_total=195_01)


def test_fixed_amounts_are_offered_only_within_the_limits_and_what_is_left_this_month():
    assert LIMITS.fixed_amounts(month_left=200_00) == [5_00, 10_00, 20_00, 50_00]
    assert LIMITS.fixed_amounts(month_left=15_00) == [5_00, 10_00]
    assert LIMITS.month_left(month_total=250_00) == 0


def test_a_partial_refund_takes_back_its_share_and_a_full_refund_all():
    assert proportional_eraha(eraha_cents=15_00, eur_cents=10_00, part_eur_cents=3_33) == 4_99
    assert proportional_eraha(eraha_cents=15_00, eur_cents=10_00, part_eur_cents=10_00) == 15_00
    assert proportional_eraha(eraha_cents=15_00, eur_cents=10_00, part_eur_cents=99_00) == 15_00
