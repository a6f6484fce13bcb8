"""Every wallet service and every rejection (runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection

from tests.factories import make_user
from wallet import services
from wallet.exceptions import (
    AccountClosed,
    AlreadyReversed,
    EscrowAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
    LimitExceeded,
    SelfPayment,
    UnknownRecipient,
)
from wallet.ledger import CITY_ISSUANCE, Leg, post_transaction, transfer_legs, wallet_ref
from wallet.models import Account, AccountKind, Entry, Transaction, TransactionCode

NOW = dt.datetime(2026, 5, 12, 9, 0, tzinfo=dt.UTC)


def top_up(user, amount, key=None):
    return services.credit_card_top_up(
        resident=user, amount=amount, idempotency_key=key or f"top-up:{user.pk}:{amount}"
    )


def ledger_counts():
    return Transaction.objects.count(), Entry.objects.count()


# --- fund_department ------------------------------------------------------------------------------


def test_it_funds_a_department_from_city_issuance(city_admin, parks):
    posted = services.fund_department(department=parks, amount=100_00, actor=city_admin, idempotency_key="f1")
    assert services.department_balance(department=parks) == 100_00
    city = Account.objects.get(kind=AccountKind.CITY_ISSUANCE)
    assert city.balance == -100_00 and city.allow_negative
    assert posted.code == TransactionCode.FUND_DEPARTMENT and posted.actor == city_admin
    assert sorted(posted.entries.values_list("amount", flat=True)) == [-100_00, 100_00]


def test_it_returns_the_same_transaction_for_a_replayed_funding(city_admin, parks):
    first = services.fund_department(department=parks, amount=100_00, actor=city_admin, idempotency_key="f1")
    second = services.fund_department(department=parks, amount=100_00, actor=city_admin, idempotency_key="f1")
    assert first.pk == second.pk
    assert services.department_balance(department=parks) == 100_00


def test_it_refuses_the_same_key_for_a_different_request(city_admin, parks, youth):
    services.fund_department(department=parks, amount=100_00, actor=city_admin, idempotency_key="f1")
    with pytest.raises(IdempotencyConflict):
        services.fund_department(department=parks, amount=200_00, actor=city_admin, idempotency_key="f1")
    with pytest.raises(IdempotencyConflict):
        services.fund_department(department=youth, amount=100_00, actor=city_admin, idempotency_key="f1")
    assert services.department_balance(department=parks) == 100_00
    assert services.department_balance(department=youth) == 0


def test_it_refuses_funding_by_someone_who_is_not_a_city_administrator(publisher, parks):
    with pytest.raises(PermissionDenied):
        services.fund_department(department=parks, amount=100_00, actor=publisher, idempotency_key="f1")
    assert ledger_counts() == (0, 0)


@pytest.mark.parametrize("amount", [0, -5, 1.5, "10", True, None, 10**15])
def test_it_refuses_bad_amounts(city_admin, parks, amount):
    with pytest.raises(InvalidAmount):
        services.fund_department(department=parks, amount=amount, actor=city_admin, idempotency_key="f1")
    assert ledger_counts() == (0, 0)


# --- task escrow ----------------------------------------------------------------------------------


@pytest.fixture
def funded_parks(city_admin, parks):
    services.fund_department(department=parks, amount=1_000_00, actor=city_admin, idempotency_key="fund-parks")
    return parks


def test_it_funds_a_task_escrow_from_the_department_budget(funded_parks, publisher):
    services.fund_task_escrow(
        task_key="task:1", amount=30_00, idempotency_key="e1", department=funded_parks, actor=publisher
    )
    assert services.escrow_balance(task_key="task:1") == 30_00
    assert services.department_balance(department=funded_parks) == 970_00
    escrow = Account.objects.get(kind=AccountKind.ESCROW, owner_key="task:1")
    assert escrow.funded_from.owner_key == f"department:{funded_parks.pk}"


def test_it_refuses_an_escrow_when_the_budget_is_short(parks, publisher):
    with pytest.raises(InsufficientFunds):
        services.fund_task_escrow(task_key="task:1", amount=1, idempotency_key="e1", department=parks)
    assert ledger_counts() == (0, 0)
    assert services.escrow_balance(task_key="task:1") == 0


def test_it_funds_a_peer_task_from_the_posters_wallet(resident):
    top_up(resident, 20_00)
    services.fund_task_escrow(task_key="task:7", amount=5_00, idempotency_key="e1", poster=resident)
    assert services.wallet_balance(user=resident) == 15_00
    assert services.escrow_balance(task_key="task:7") == 5_00


def test_it_needs_exactly_one_source_for_an_escrow(funded_parks, resident):
    with pytest.raises(ValueError):
        services.fund_task_escrow(task_key="task:1", amount=1, idempotency_key="e1")
    with pytest.raises(ValueError):
        services.fund_task_escrow(
            task_key="task:1", amount=1, idempotency_key="e1", department=funded_parks, poster=resident
        )


def test_it_refuses_to_fund_an_escrow_from_a_second_source(funded_parks, resident):
    top_up(resident, 20_00)
    services.fund_task_escrow(task_key="task:1", amount=5_00, idempotency_key="e1", department=funded_parks)
    with pytest.raises(LedgerError):
        services.fund_task_escrow(task_key="task:1", amount=5_00, idempotency_key="e2", poster=resident)
    assert services.wallet_balance(user=resident) == 20_00


def test_it_pays_a_reward_from_escrow_to_the_resident(funded_parks, resident, verifier):
    services.fund_task_escrow(task_key="task:1", amount=10_00, idempotency_key="e1", department=funded_parks)
    first = services.pay_task_reward(task_key="task:1", resident=resident, amount=5_00, idempotency_key="r1")
    again = services.pay_task_reward(task_key="task:1", resident=resident, amount=5_00, idempotency_key="r1")
    assert first.pk == again.pk
    assert services.wallet_balance(user=resident) == 5_00
    assert services.escrow_balance(task_key="task:1") == 5_00


def test_it_refuses_a_reward_larger_than_the_escrow(funded_parks, resident):
    services.fund_task_escrow(task_key="task:1", amount=10_00, idempotency_key="e1", department=funded_parks)
    before = ledger_counts()
    with pytest.raises(InsufficientFunds):
        services.pay_task_reward(task_key="task:1", resident=resident, amount=10_01, idempotency_key="r1")
    assert ledger_counts() == before
    assert services.wallet_balance(user=resident) == 0


def test_a_full_refund_returns_the_rest_to_the_budget_and_closes_the_escrow_once(funded_parks, resident):
    services.fund_task_escrow(task_key="task:1", amount=10_00, idempotency_key="e1", department=funded_parks)
    services.pay_task_reward(task_key="task:1", resident=resident, amount=4_00, idempotency_key="r1")
    refund = services.refund_task_escrow(task_key="task:1", idempotency_key="c1")
    assert refund is not None and refund.code == TransactionCode.REFUND_ESCROW
    assert services.escrow_balance(task_key="task:1") == 0
    assert services.department_balance(department=funded_parks) == 996_00
    assert Account.objects.get(kind=AccountKind.ESCROW, owner_key="task:1").closed
    assert services.refund_task_escrow(task_key="task:1", idempotency_key="c1").pk == refund.pk
    with pytest.raises(EscrowAlreadyResolved):
        services.refund_task_escrow(task_key="task:1", idempotency_key="c2")
    with pytest.raises(EscrowAlreadyResolved):
        services.pay_task_reward(task_key="task:1", resident=resident, amount=1, idempotency_key="r2")
    with pytest.raises(EscrowAlreadyResolved):
        services.fund_task_escrow(task_key="task:1", amount=1, idempotency_key="e2", department=funded_parks)


def test_a_partial_refund_goes_back_to_the_posters_wallet(resident):
    top_up(resident, 20_00)
    services.fund_task_escrow(task_key="task:3", amount=6_00, idempotency_key="e1", poster=resident)
    services.refund_task_escrow(task_key="task:3", amount=2_00, idempotency_key="c1")
    assert services.wallet_balance(user=resident) == 16_00
    assert services.escrow_balance(task_key="task:3") == 4_00
    assert not Account.objects.get(kind=AccountKind.ESCROW, owner_key="task:3").closed


def test_a_full_refund_of_an_empty_escrow_closes_it_and_returns_none(funded_parks, resident):
    services.fund_task_escrow(task_key="task:1", amount=3_00, idempotency_key="e1", department=funded_parks)
    services.pay_task_reward(task_key="task:1", resident=resident, amount=3_00, idempotency_key="r1")
    assert services.refund_task_escrow(task_key="task:1", idempotency_key="c1") is None
    assert Account.objects.get(kind=AccountKind.ESCROW, owner_key="task:1").closed


def test_a_refund_with_a_reused_key_of_another_transaction_is_a_conflict(funded_parks):
    services.fund_task_escrow(task_key="task:1", amount=3_00, idempotency_key="e1", department=funded_parks)
    with pytest.raises(IdempotencyConflict):
        services.refund_task_escrow(task_key="task:1", idempotency_key="e1")


# --- neighbours -----------------------------------------------------------------------------------


def test_it_pays_a_neighbour_with_a_memo(resident, neighbour):
    top_up(resident, 20_00)
    posted = services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=7_50, memo=" Kiitos! ", idempotency_key="n1", now=NOW
    )
    assert posted.memo == "Kiitos!" and posted.actor == resident
    assert services.wallet_balance(user=resident) == 12_50
    assert services.wallet_balance(user=neighbour) == 7_50
    replay = services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=7_50, memo="Kiitos!", idempotency_key="n1", now=NOW
    )
    assert replay.pk == posted.pk
    assert services.wallet_balance(user=neighbour) == 7_50


def test_it_refuses_paying_yourself(resident):
    top_up(resident, 20_00)
    with pytest.raises(SelfPayment):
        services.pay_neighbour(sender=resident, recipient=resident, amount=1_00, memo="", idempotency_key="n1", now=NOW)


def test_it_refuses_an_unknown_or_closed_recipient(resident, neighbour):
    top_up(resident, 20_00)
    with pytest.raises(UnknownRecipient):
        services.pay_neighbour(sender=resident, recipient=None, amount=1_00, memo="", idempotency_key="n1", now=NOW)
    neighbour.is_active = False
    neighbour.save(update_fields=["is_active"])
    with pytest.raises(AccountClosed):
        services.pay_neighbour(
            sender=resident, recipient=neighbour, amount=1_00, memo="", idempotency_key="n1", now=NOW
        )
    assert services.wallet_balance(user=resident) == 20_00


def test_it_refuses_a_payment_larger_than_the_balance(resident, neighbour):
    top_up(resident, 1_00)
    before = ledger_counts()
    with pytest.raises(InsufficientFunds):
        services.pay_neighbour(
            sender=resident, recipient=neighbour, amount=1_01, memo="", idempotency_key="n1", now=NOW
        )
    assert ledger_counts() == before


def test_it_refuses_a_payment_over_the_daily_limit(resident, neighbour, settings):
    settings.WALLET_NEIGHBOUR_DAILY_LIMIT = 10_00
    top_up(resident, 50_00)
    services.pay_neighbour(sender=resident, recipient=neighbour, amount=6_00, memo="", idempotency_key="n1", now=NOW)
    assert services.neighbour_sending_left(sender=resident, now=NOW) == 4_00
    with pytest.raises(LimitExceeded):
        services.pay_neighbour(
            sender=resident, recipient=neighbour, amount=5_00, memo="", idempotency_key="n2", now=NOW
        )
    tomorrow = NOW + dt.timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        services.pay_neighbour(
            sender=resident, recipient=neighbour, amount=5_00, memo="", idempotency_key="n3", now=tomorrow
        )
    assert services.wallet_balance(user=neighbour) == 11_00


def test_it_refuses_a_payment_over_the_monthly_limit(resident, neighbour, settings):
    settings.WALLET_NEIGHBOUR_DAILY_LIMIT = 10_00
    settings.WALLET_NEIGHBOUR_MONTHLY_LIMIT = 15_00
    top_up(resident, 50_00)
    for day in range(3):
        when = NOW + dt.timedelta(days=day)
        with time_machine.travel(when, tick=False):
            if day < 2:
                services.pay_neighbour(
                    sender=resident, recipient=neighbour, amount=7_00, memo="", idempotency_key=f"n{day}", now=when
                )
            else:
                with pytest.raises(LimitExceeded):
                    services.pay_neighbour(
                        sender=resident, recipient=neighbour, amount=2_00, memo="", idempotency_key="n9", now=when
                    )
    assert services.wallet_balance(user=neighbour) == 14_00


def test_a_replayed_payment_is_returned_even_when_the_limit_is_now_reached(resident, neighbour, settings):
    settings.WALLET_NEIGHBOUR_DAILY_LIMIT = 5_00
    top_up(resident, 50_00)
    first = services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=5_00, memo="", idempotency_key="n1", now=NOW
    )
    again = services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=5_00, memo="", idempotency_key="n1", now=NOW
    )
    assert first.pk == again.pk


def test_a_too_long_memo_is_refused(resident, neighbour):
    top_up(resident, 5_00)
    with pytest.raises(LedgerError):
        services.pay_neighbour(
            sender=resident, recipient=neighbour, amount=1_00, memo="x" * 201, idempotency_key="n1", now=NOW
        )


# --- vouchers and top-ups -------------------------------------------------------------------------


def test_voucher_money_moves_from_wallet_to_liability_to_payable(resident):
    top_up(resident, 10_00)
    services.buy_voucher(resident=resident, partner_key="partner:1", amount=4_00, idempotency_key="v1", memo="Uinti")
    services.buy_voucher(resident=resident, partner_key="partner:1", amount=3_00, idempotency_key="v2")
    services.redeem_voucher_value(partner_key="partner:1", amount=4_00, idempotency_key="v1:redeem")
    services.refund_voucher(partner_key="partner:1", resident=resident, amount=3_00, idempotency_key="v2:refund")
    liability = Account.objects.get(kind=AccountKind.VOUCHER_LIABILITY, owner_key="partner:1")
    payable = Account.objects.get(kind=AccountKind.PARTNER_PAYABLE, owner_key="partner:1")
    assert (liability.balance, payable.balance) == (0, 4_00)
    assert services.wallet_balance(user=resident) == 6_00


def test_it_refuses_a_voucher_the_resident_cannot_afford(resident):
    with pytest.raises(InsufficientFunds):
        services.buy_voucher(resident=resident, partner_key="partner:1", amount=1, idempotency_key="v1")


def test_it_refuses_redeeming_more_than_the_liability(db):
    with pytest.raises(InsufficientFunds):
        services.redeem_voucher_value(partner_key="partner:1", amount=1, idempotency_key="x")


def test_a_card_top_up_credits_once(resident):
    first = top_up(resident, 25_00, key="cs_123")
    again = top_up(resident, 25_00, key="cs_123")
    assert first.pk == again.pk
    assert services.wallet_balance(user=resident) == 25_00
    assert Account.objects.get(kind=AccountKind.CARD_ISSUANCE).balance == -25_00


# --- reversal -------------------------------------------------------------------------------------


def test_a_city_administrator_reverses_a_transaction_with_a_reason(city_admin, resident, neighbour):
    top_up(resident, 10_00)
    paid = services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=4_00, memo="", idempotency_key="n1", now=NOW
    )
    reversal = services.reverse_transaction(
        transaction=paid, actor=city_admin, reason="Paid by mistake", idempotency_key="rev1"
    )
    assert reversal.reverses == paid and reversal.memo == "Paid by mistake" and reversal.actor == city_admin
    assert services.wallet_balance(user=resident) == 10_00
    assert services.wallet_balance(user=neighbour) == 0
    assert (
        services.reverse_transaction(
            transaction=paid, actor=city_admin, reason="Paid by mistake", idempotency_key="rev1"
        ).pk
        == reversal.pk
    )
    with pytest.raises(AlreadyReversed):
        services.reverse_transaction(transaction=paid, actor=city_admin, reason="Again", idempotency_key="rev2")
    with pytest.raises(LedgerError):
        services.reverse_transaction(transaction=reversal, actor=city_admin, reason="Undo", idempotency_key="rev3")


def test_a_reversal_needs_a_reason_and_the_permission(city_admin, resident, neighbour):
    paid = top_up(resident, 10_00)
    with pytest.raises(PermissionDenied):
        services.reverse_transaction(transaction=paid, actor=neighbour, reason="x", idempotency_key="rev1")
    with pytest.raises(LedgerError):
        services.reverse_transaction(transaction=paid, actor=city_admin, reason="  ", idempotency_key="rev1")
    assert services.wallet_balance(user=resident) == 10_00


def test_a_reversal_never_overdraws_the_account(city_admin, resident, neighbour):
    top_up(resident, 10_00)
    paid = services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=4_00, memo="", idempotency_key="n1", now=NOW
    )
    services.buy_voucher(resident=neighbour, partner_key="partner:1", amount=3_00, idempotency_key="v1")
    with pytest.raises(InsufficientFunds):
        services.reverse_transaction(transaction=paid, actor=city_admin, reason="Fraud", idempotency_key="rev1")
    assert services.wallet_balance(user=neighbour) == 1_00
    # No voucher row stands behind this liability: give it back so the vouchers audit check holds.
    services.refund_voucher(partner_key="partner:1", resident=neighbour, amount=3_00, idempotency_key="v1:refund")


# --- the posting function -------------------------------------------------------------------------


def test_entries_carry_the_account_version_and_balance_after(resident, neighbour):
    top_up(resident, 10_00)
    post_transaction(
        code="transfer", legs=transfer_legs(wallet_ref(resident), wallet_ref(neighbour), 3_00), idempotency_key="t1"
    )
    entries = list(
        Entry.objects.filter(account__owner_key=f"user:{resident.pk}")
        .order_by("account_version")
        .values_list("account_version", "amount", "balance_after")
    )
    assert entries == [(1, 10_00, 10_00), (2, -3_00, 7_00)]
    assert Account.objects.get(owner_key=f"user:{resident.pk}").version == 2


def test_unbalanced_or_degenerate_legs_are_refused(resident, neighbour):
    with pytest.raises(ValueError):
        post_transaction(
            code="transfer", legs=[Leg(CITY_ISSUANCE, -5), Leg(wallet_ref(resident), 4)], idempotency_key="t"
        )
    with pytest.raises(ValueError):
        post_transaction(code="transfer", legs=[Leg(CITY_ISSUANCE, 0)], idempotency_key="t")
    with pytest.raises(ValueError):
        post_transaction(
            code="transfer", legs=transfer_legs(CITY_ISSUANCE, wallet_ref(resident), 5), idempotency_key=""
        )
    with pytest.raises(ValueError):
        post_transaction(code="transfer", legs=[Leg(CITY_ISSUANCE, -5), Leg(CITY_ISSUANCE, 5)], idempotency_key="t")
    assert ledger_counts() == (0, 0)


def test_a_failed_posting_inside_an_outer_transaction_leaves_it_usable(resident, neighbour):
    from django.db import transaction

    top_up(resident, 1_00)
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            services.buy_voucher(resident=resident, partner_key="partner:1", amount=2_00, idempotency_key="v1")
        services.buy_voucher(resident=resident, partner_key="partner:1", amount=1_00, idempotency_key="v2")
    assert services.wallet_balance(user=resident) == 0
    services.refund_voucher(partner_key="partner:1", resident=resident, amount=1_00, idempotency_key="v2:refund")


def test_a_new_user_has_a_zero_balance_without_an_account(db):
    user = make_user()
    assert services.wallet_balance(user=user) == 0
    assert not Account.objects.filter(owner_key=f"user:{user.pk}").exists()
    assert connection.vendor in {"sqlite", "postgresql"}
