"""Exactly-once credit under concurrent webhook deliveries (PostgreSQL, real threads)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from payments.models import StripeEvent, TopUpStatus
from payments.services import handle_webhook
from tests.payments.conftest import make_top_up, session_event, sign
from tests.postgres import require_postgres, run_concurrently
from wallet import services as wallet
from wallet.audit import run_audit
from wallet.models import Transaction, TransactionCode


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_paid_event_delivered_by_ten_threads_credits_once(stripe_on, resident):
    require_postgres()
    top_up = make_top_up(resident, eur_cents=10_00)
    payload = json.dumps(session_event(top_up))

    def deliver(_):
        return (
            Client()
            .post(
                "/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
            )
            .status_code
        )

    results = run_concurrently(10, deliver)
    assert results == [200] * 10
    assert StripeEvent.objects.count() == 1
    assert Transaction.objects.filter(code=TransactionCode.CARD_TOP_UP).count() == 1
    assert wallet.wallet_balance(user=resident) == 10_00
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.CREDITED
    assert run_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_completed_and_async_succeeded_delivered_together_credit_once(stripe_on, resident):
    require_postgres()
    top_up = make_top_up(resident, eur_cents=25_00)
    payloads = [
        json.dumps(session_event(top_up, type=kind))
        for kind in ["checkout.session.completed", "checkout.session.async_payment_succeeded"] * 5
    ]

    def deliver(index):
        from django.utils import timezone

        payload = payloads[index].encode()
        return handle_webhook(payload=payload, signature=sign(payloads[index]), now=timezone.now()).outcome

    results = run_concurrently(10, deliver)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results.count("credited") == 1
    assert StripeEvent.objects.count() == 10
    assert Transaction.objects.filter(code=TransactionCode.CARD_TOP_UP).count() == 1
    assert wallet.wallet_balance(user=resident) == 25_00
    assert run_audit() == []
