"""Concurrency on PostgreSQL with real threads and a barrier (skipped on SQLite, which serialises writers)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import make_user
from tests.postgres import require_postgres, run_concurrently
from wallet import services
from wallet.audit import run_audit
from wallet.exceptions import InsufficientFunds, LimitExceeded
from wallet.models import Account, AccountKind, Transaction, TransactionCode

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_many_concurrent_spends_from_one_wallet_never_overdraw_it():
    require_postgres()
    resident = make_user()
    services.credit_card_top_up(resident=resident, amount=10_00, idempotency_key="t1")

    def spend(i):
        return services.buy_voucher(resident=resident, partner_key="partner:1", amount=1_00, idempotency_key=f"v{i}")

    results = run_concurrently(16, spend)
    won = [r for r in results if isinstance(r, Transaction)]
    lost = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(won) == 10 and len(lost) == 6, results
    assert services.wallet_balance(user=resident) == 0
    # No voucher rows stand behind this liability: settle it so the vouchers audit check holds.
    services.redeem_voucher_value(partner_key="partner:1", amount=10_00, idempotency_key="settle")
    assert run_audit() == []


def test_opposite_transfers_between_two_wallets_conserve_the_total():
    require_postgres()
    a, b = make_user(), make_user()
    services.credit_card_top_up(resident=a, amount=50_00, idempotency_key="ta")
    services.credit_card_top_up(resident=b, amount=50_00, idempotency_key="tb")
    now = timezone.now()

    def transfer(i):
        sender, recipient = (a, b) if i % 2 else (b, a)
        return services.pay_neighbour(
            sender=sender, recipient=recipient, amount=1_00 + i, memo="", idempotency_key=f"x{i}", now=now
        )

    results = run_concurrently(12, transfer)
    assert all(isinstance(r, Transaction) for r in results), results
    assert services.wallet_balance(user=a) + services.wallet_balance(user=b) == 100_00
    assert run_audit() == []


def test_the_same_idempotency_key_sent_concurrently_posts_one_transaction():
    require_postgres()
    a, b = make_user(), make_user()
    services.credit_card_top_up(resident=a, amount=10_00, idempotency_key="ta")
    now = timezone.now()

    def pay(i):
        return services.pay_neighbour(sender=a, recipient=b, amount=3_00, memo="once", idempotency_key="same", now=now)

    results = run_concurrently(10, pay)
    assert all(isinstance(r, Transaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Transaction.objects.filter(code=TransactionCode.PAY_NEIGHBOUR).count() == 1
    assert services.wallet_balance(user=b) == 3_00


def test_the_same_top_up_key_from_concurrent_webhooks_credits_once():
    require_postgres()
    a = make_user()
    results = run_concurrently(
        8, lambda i: services.credit_card_top_up(resident=a, amount=5_00, idempotency_key="cs_1")
    )
    assert len({r.pk for r in results}) == 1, results
    assert services.wallet_balance(user=a) == 5_00


def test_a_hot_department_budget_funds_exactly_what_it_holds():
    require_postgres()
    from people.services import upsert_department

    parks = upsert_department(slug="parks", name_fi="Puistot", name_sv="Parker", name_en="Parks")
    services.fund_department(department=parks, amount=100_00, actor=None, idempotency_key="f1")

    def publish(i):
        return services.fund_task_escrow(task_key=f"task:{i}", amount=10_00, idempotency_key=f"e{i}", department=parks)

    results = run_concurrently(16, publish)
    assert sum(isinstance(r, Transaction) for r in results) == 10, results
    assert sum(isinstance(r, InsufficientFunds) for r in results) == 6
    assert services.department_balance(department=parks) == 0
    assert Account.objects.filter(kind=AccountKind.ESCROW, credits_posted=10_00).count() == 10
    assert run_audit() == []


def test_the_daily_sending_limit_holds_under_concurrent_payments(settings):
    require_postgres()
    settings.WALLET_NEIGHBOUR_DAILY_LIMIT = 5_00
    a, b = make_user(), make_user()
    services.credit_card_top_up(resident=a, amount=50_00, idempotency_key="ta")
    now = timezone.now()
    results = run_concurrently(
        10,
        lambda i: services.pay_neighbour(sender=a, recipient=b, amount=1_00, memo="", idempotency_key=f"p{i}", now=now),
    )
    assert sum(isinstance(r, Transaction) for r in results) == 5, results
    assert sum(isinstance(r, LimitExceeded) for r in results) == 5
    assert services.wallet_balance(user=b) == 5_00


def test_a_refund_and_a_reward_racing_on_one_escrow_never_overspend_it():
    require_postgres()
    poster, worker = make_user(), make_user()
    services.credit_card_top_up(resident=poster, amount=10_00, idempotency_key="t")
    services.fund_task_escrow(task_key="task:9", amount=6_00, idempotency_key="e", poster=poster)

    def act(i):
        if i % 2:
            return services.refund_task_escrow(task_key="task:9", idempotency_key=f"r{i}")
        return services.pay_task_reward(task_key="task:9", resident=worker, amount=2_00, idempotency_key=f"p{i}")

    run_concurrently(8, act)
    assert services.escrow_balance(task_key="task:9") == 0
    assert services.wallet_balance(user=poster) + services.wallet_balance(user=worker) == 10_00
    assert Account.objects.get(kind=AccountKind.ESCROW, owner_key="task:9").closed
    assert run_audit() == []


def test_the_autocommit_fast_path_posts_replays_and_refuses_like_the_cursor_path():
    require_postgres()
    from django.db import connection

    from wallet.exceptions import AccountClosed, IdempotencyConflict
    from wallet.ledger import Leg, liability_ref, post_transaction, wallet_ref

    a = make_user()
    assert not connection.in_atomic_block
    odd_partner = 'partner:odd "quoted" \\ key, {braces}'
    top_up = services.credit_card_top_up(resident=a, amount=5_00, idempotency_key='stripe:"x"')
    assert top_up.pk and top_up.created_at.tzinfo is not None
    again = services.credit_card_top_up(resident=a, amount=5_00, idempotency_key='stripe:"x"')
    assert (again.pk, again.created_at, again.fingerprint) == (top_up.pk, top_up.created_at, top_up.fingerprint)
    with pytest.raises(IdempotencyConflict):
        services.credit_card_top_up(resident=a, amount=6_00, idempotency_key='stripe:"x"')
    bought = services.buy_voucher(
        resident=a, partner_key=odd_partner, amount=2_00, idempotency_key="v1", memo="Uinti 'aamu' \\o/"
    )
    assert bought.memo == "Uinti 'aamu' \\o/"
    assert Account.objects.get(kind=AccountKind.VOUCHER_LIABILITY).owner_key == odd_partner
    with pytest.raises(InsufficientFunds):
        services.buy_voucher(resident=a, partner_key=odd_partner, amount=3_01, idempotency_key="v2")
    Account.objects.filter(kind=AccountKind.WALLET).update(closed=True)
    with pytest.raises(AccountClosed):
        post_transaction(
            code="transfer", legs=[Leg(wallet_ref(a), -1), Leg(liability_ref("partner:1"), 1)], idempotency_key="c"
        )
    Account.objects.filter(kind=AccountKind.WALLET).update(closed=False)
    assert services.wallet_balance(user=a) == 3_00
    assert Transaction.objects.count() == 2
    services.redeem_voucher_value(partner_key=odd_partner, amount=2_00, idempotency_key="settle")
    assert run_audit() == []


def test_the_same_full_refund_sent_concurrently_returns_one_transaction():
    require_postgres()
    poster = make_user()
    services.credit_card_top_up(resident=poster, amount=10_00, idempotency_key="t")
    services.fund_task_escrow(task_key="task:3", amount=6_00, idempotency_key="e", poster=poster)
    results = run_concurrently(6, lambda i: services.refund_task_escrow(task_key="task:3", idempotency_key="close"))
    assert all(isinstance(r, Transaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert services.wallet_balance(user=poster) == 10_00
