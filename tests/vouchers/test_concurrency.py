"""Redemption is single-use under concurrent attempts (PostgreSQL, real threads, a barrier)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from tests.postgres import require_postgres, run_concurrently
from tests.vouchers.conftest import make_partner, make_product, top_up
from vouchers import services
from vouchers.models import Voucher

THREADS = 50


def _setup():
    from tests.factories import make_user

    resident = make_user()
    top_up(resident, 10_00)
    partner = make_partner("uimahalli", "Imatran uimahalli")
    product = make_product(partner)
    voucher = services.buy_voucher(resident=resident, product=product, idempotency_key="k", now=timezone.now())
    _token, raw = services.create_partner_token(partner=partner, name="Kassa 1")
    return partner, voucher, raw


def _redeem(code: str, token: str, key: str):
    response = Client().post(
        "/api/v1/vouchers/redeem",
        json.dumps({"code": code}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    return response.status_code, response.json()


def _payable(partner) -> int:
    from wallet.models import Account, AccountKind

    account = Account.objects.get(kind=AccountKind.PARTNER_PAYABLE, owner_key=partner.ledger_key)
    return account.credits_posted - account.debits_posted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_fifty_concurrent_redemptions_with_different_keys_exactly_one_wins(settings):
    require_postgres()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_api": (10_000, 60), "desk_lookups": (10_000, 60)}
    partner, voucher, token = _setup()
    results = run_concurrently(THREADS, lambda i: _redeem(voucher.code, token, f"key-{i}"))
    statuses = sorted(result[0] for result in results if isinstance(result, tuple))
    assert len(statuses) == THREADS, [r for r in results if not isinstance(r, tuple)]
    assert statuses.count(200) == 1
    assert statuses.count(409) == THREADS - 1
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
    assert _payable(partner) == voucher.price


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_with_the_same_key_all_get_the_same_answer(settings):
    require_postgres()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_api": (10_000, 60), "desk_lookups": (10_000, 60)}
    partner, voucher, token = _setup()
    results = run_concurrently(THREADS, lambda i: _redeem(voucher.code, token, "the-same-key"))
    assert all(isinstance(result, tuple) for result in results), results
    assert {result[0] for result in results} == {200}
    assert len({json.dumps(result[1], sort_keys=True) for result in results}) == 1
    assert Voucher.objects.filter(status="redeemed").count() == 1
    assert _payable(partner) == voucher.price
