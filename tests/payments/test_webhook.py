"""The Stripe webhook: signatures, exactly-once credit, refusals, refunds and disputes."""

from __future__ import annotations

import json
import time

import pytest

from payments.models import EventOutcome, StripeEvent, TopUp, TopUpStatus
from tests.payments.conftest import charge_event, make_top_up, post_event, session_event, sign
from wallet import services as wallet
from wallet.models import Transaction, TransactionCode

pytestmark = pytest.mark.django_db


def nothing_written():
    return (
        StripeEvent.objects.count() == 0 and not Transaction.objects.filter(code=TransactionCode.CARD_TOP_UP).exists()
    )


def test_a_paid_completed_session_credits_the_wallet_once(client, stripe_on, resident):
    top_up = make_top_up(resident, eur_cents=10_00)
    response = post_event(client, session_event(top_up))
    assert response.status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.CREDITED
    assert top_up.payment_intent_id == f"pi_{top_up.pk}"
    assert top_up.paid_eur_cents == 10_00 and top_up.paid_at is not None
    assert wallet.wallet_balance(user=resident) == 10_00
    credit = top_up.credit_transaction
    assert credit.code == TransactionCode.CARD_TOP_UP and credit.idempotency_key == f"stripe:{top_up.session_id}"
    event = StripeEvent.objects.get()
    assert event.outcome == EventOutcome.CREDITED and event.top_up == top_up and event.processed_at


def test_a_replayed_event_is_stored_once_and_credits_once(client, stripe_on, resident):
    top_up = make_top_up(resident)
    event = session_event(top_up)
    assert post_event(client, event).status_code == 200
    assert post_event(client, event).status_code == 200
    assert StripeEvent.objects.count() == 1
    assert wallet.wallet_balance(user=resident) == 10_00


def test_completed_and_async_succeeded_for_one_session_credit_once(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up))
    response = post_event(client, session_event(top_up, type="checkout.session.async_payment_succeeded"))
    assert response.status_code == 200
    assert StripeEvent.objects.count() == 2
    assert StripeEvent.objects.filter(outcome=EventOutcome.ALREADY_CREDITED).count() == 1
    assert Transaction.objects.filter(code=TransactionCode.CARD_TOP_UP).count() == 1
    assert wallet.wallet_balance(user=resident) == 10_00


def test_an_unpaid_completed_session_waits_for_the_delayed_payment(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up, payment_status="unpaid"))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.PENDING
    assert wallet.wallet_balance(user=resident) == 0
    post_event(client, session_event(top_up, type="checkout.session.async_payment_succeeded"))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.CREDITED
    assert wallet.wallet_balance(user=resident) == 10_00


def test_events_out_of_order_still_credit_once(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up, type="checkout.session.async_payment_succeeded"))
    post_event(client, session_event(top_up, payment_status="unpaid"))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.CREDITED
    assert wallet.wallet_balance(user=resident) == 10_00


def test_the_rate_decides_how_much_eraha_is_credited(client, stripe_on, resident):
    top_up = make_top_up(resident, eur_cents=10_00, eraha_cents=12_00)
    post_event(client, session_event(top_up))
    assert wallet.wallet_balance(user=resident) == 12_00


def test_an_expired_session_marks_the_top_up_expired(client, stripe_on, resident):
    top_up = make_top_up(resident)
    assert post_event(client, session_event(top_up, type="checkout.session.expired")).status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.EXPIRED
    assert wallet.wallet_balance(user=resident) == 0


def test_a_failed_delayed_payment_marks_the_top_up_failed(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up, type="checkout.session.async_payment_failed", payment_status="unpaid"))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.FAILED
    assert wallet.wallet_balance(user=resident) == 0


def test_an_expiry_after_the_credit_changes_nothing(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up))
    post_event(client, session_event(top_up, type="checkout.session.expired"))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.CREDITED


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(9_99, "eur"), (100_00, "eur"), (10_00, "usd"), (None, "eur"), ("1000", "eur"), (1000.0, "eur"), (10_00, None)],
)
def test_an_amount_or_currency_mismatch_is_not_credited_and_is_flagged(client, stripe_on, resident, amount, currency):
    top_up = make_top_up(resident, eur_cents=10_00)
    event = session_event(top_up, currency=currency)
    event["data"]["object"]["amount_total"] = amount
    response = post_event(client, event)
    assert response.status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.NEEDS_ATTENTION
    assert top_up.credit_transaction is None
    assert wallet.wallet_balance(user=resident) == 0
    assert StripeEvent.objects.get().outcome == EventOutcome.MISMATCH


def test_a_bad_signature_is_refused_and_nothing_is_written(client, stripe_on, resident):
    top_up = make_top_up(resident)
    payload = json.dumps(session_event(top_up))
    response = post_event(client, None, payload=payload, signature=sign(payload, secret="whsec_wrong"))
    assert response.status_code == 400
    assert nothing_written()


def test_a_missing_signature_is_refused(client, stripe_on, resident):
    top_up = make_top_up(resident)
    assert post_event(client, session_event(top_up), signature=None).status_code == 400
    assert nothing_written()


def test_a_garbled_signature_header_is_refused(client, stripe_on, resident):
    top_up = make_top_up(resident)
    assert post_event(client, session_event(top_up), signature="t=abc,v1=").status_code == 400
    assert nothing_written()


def test_a_signature_over_a_different_body_is_refused(client, stripe_on, resident):
    top_up = make_top_up(resident)
    signed = json.dumps(session_event(top_up, amount=1_00))
    tampered = json.dumps(session_event(top_up))
    assert post_event(client, None, payload=tampered, signature=sign(signed)).status_code == 400
    assert nothing_written()


def test_a_stale_timestamp_is_refused(client, stripe_on, resident):
    top_up = make_top_up(resident)
    payload = json.dumps(session_event(top_up))
    stale = sign(payload, timestamp=int(time.time()) - 301)
    assert post_event(client, None, payload=payload, signature=stale).status_code == 400
    assert nothing_written()
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.PENDING


@pytest.mark.parametrize(
    "payload",
    [
        '{"id": "evt_1", "type": ',
        "[]",
        '"text"',
        '{"id": 5}',
        "\udcff",
        '{"id": "evt_9", "type": "checkout.session.completed", "data": {"object": []}}',
    ],
)
def test_a_malformed_body_with_a_valid_signature_is_refused(client, stripe_on, resident, payload):
    body = payload.encode("utf-8", "surrogateescape")
    headers = {"HTTP_STRIPE_SIGNATURE": sign(body.decode("utf-8", "replace"))}
    response = client.post("/stripe/webhook/", data=body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert nothing_written()


def test_an_unknown_session_is_refused_and_nothing_is_written(client, stripe_on, resident):
    top_up = make_top_up(resident)
    assert post_event(client, session_event(top_up, session_id="cs_test_unknown")).status_code == 400
    assert nothing_written()


def test_a_session_whose_reference_names_another_top_up_is_refused(client, stripe_on, resident, neighbour):
    mine = make_top_up(resident)
    other = make_top_up(neighbour)
    assert post_event(client, session_event(mine, reference=str(other.pk))).status_code == 400
    assert nothing_written()
    assert wallet.wallet_balance(user=resident) == 0 and wallet.wallet_balance(user=neighbour) == 0


def test_a_refund_for_an_unknown_payment_is_refused(client, stripe_on, resident):
    top_up = make_top_up(resident)
    assert post_event(client, charge_event(top_up, payment_intent="pi_unknown")).status_code == 400
    assert nothing_written()


def test_an_event_of_another_kind_is_stored_and_ignored(client, stripe_on, resident):
    event = {"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    assert post_event(client, event).status_code == 200
    assert StripeEvent.objects.get().outcome == EventOutcome.IGNORED


def test_the_webhook_refuses_get(client, stripe_on):
    assert client.get("/stripe/webhook/").status_code == 405


def test_the_webhook_does_not_exist_without_keys(client, stripe_off, resident):
    top_up = make_top_up(resident)
    assert post_event(client, session_event(top_up)).status_code == 404
    assert nothing_written()


def test_the_webhook_needs_no_csrf_token(stripe_on, resident):
    from django.test import Client

    top_up = make_top_up(resident)
    assert post_event(Client(enforce_csrf_checks=True), session_event(top_up)).status_code == 200


def credited(client, resident, eur_cents=10_00):
    top_up = make_top_up(resident, eur_cents=eur_cents)
    post_event(client, session_event(top_up))
    top_up.refresh_from_db()
    return top_up


def test_a_full_refund_reverses_the_credit(client, stripe_on, resident):
    top_up = credited(client, resident)
    assert post_event(client, charge_event(top_up)).status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.REFUNDED
    assert top_up.refunded_eur_cents == 10_00 and top_up.reversed_eraha_cents == 10_00
    assert wallet.wallet_balance(user=resident) == 0
    reversal = Transaction.objects.get(code=TransactionCode.REVERSAL)
    assert reversal.reverses == top_up.credit_transaction


def test_partial_refunds_take_back_their_share_once_each(client, stripe_on, resident):
    top_up = credited(client, resident, eur_cents=20_00)
    post_event(client, charge_event(top_up, amount=5_00))
    top_up.refresh_from_db()
    assert top_up.reversed_eraha_cents == 5_00 and top_up.status == TopUpStatus.REFUNDED
    assert wallet.wallet_balance(user=resident) == 15_00
    post_event(client, charge_event(top_up, amount=5_00))  # an older refund total arriving late
    post_event(client, charge_event(top_up, amount=20_00))
    top_up.refresh_from_db()
    assert top_up.reversed_eraha_cents == 20_00
    assert wallet.wallet_balance(user=resident) == 0


def test_a_refund_of_spent_eraha_takes_back_what_is_left_and_flags_the_rest(client, stripe_on, resident, neighbour):
    import datetime as dt

    top_up = credited(client, resident)
    wallet.pay_neighbour(
        sender=resident, recipient=neighbour, amount=7_00, memo="", idempotency_key="spend", now=dt.datetime.now(dt.UTC)
    )
    assert post_event(client, charge_event(top_up)).status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.NEEDS_ATTENTION
    assert top_up.reversed_eraha_cents == 3_00
    assert "7,00" in top_up.note or "7.00" in top_up.note
    assert wallet.wallet_balance(user=resident) == 0
    assert wallet.wallet_balance(user=neighbour) == 7_00


def test_a_dispute_takes_back_the_eraha(client, stripe_on, resident):
    top_up = credited(client, resident)
    assert post_event(client, charge_event(top_up, type="charge.dispute.created")).status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.DISPUTED
    assert top_up.disputed_eur_cents == 10_00 and top_up.reversed_eraha_cents == 10_00
    assert wallet.wallet_balance(user=resident) == 0
    assert StripeEvent.objects.filter(outcome=EventOutcome.DISPUTE_RECORDED).count() == 1


def test_a_dispute_after_a_full_refund_takes_nothing_more(client, stripe_on, resident):
    top_up = credited(client, resident)
    post_event(client, charge_event(top_up))
    post_event(client, charge_event(top_up, type="charge.dispute.created"))
    top_up.refresh_from_db()
    assert top_up.reversed_eraha_cents == 10_00
    assert wallet.wallet_balance(user=resident) == 0


def test_a_refund_in_another_currency_is_flagged_not_applied(client, stripe_on, resident):
    top_up = credited(client, resident)
    post_event(client, charge_event(top_up, currency="usd"))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.NEEDS_ATTENTION
    assert top_up.reversed_eraha_cents == 0
    assert wallet.wallet_balance(user=resident) == 10_00


def test_a_payment_after_a_recorded_refund_is_flagged_not_credited(client, stripe_on, resident):
    top_up = make_top_up(resident)
    top_up.payment_intent_id = f"pi_{top_up.pk}"
    top_up.save()
    post_event(client, charge_event(top_up))
    post_event(client, session_event(top_up))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.NEEDS_ATTENTION
    assert wallet.wallet_balance(user=resident) == 0
    assert TopUp.objects.get().credit_transaction is None


def test_a_refund_of_a_credit_an_administrator_already_reversed_is_flagged(client, stripe_on, resident, city_admin):
    top_up = credited(client, resident)
    wallet.reverse_transaction(
        transaction=top_up.credit_transaction, actor=city_admin, reason="by hand", idempotency_key="manual"
    )
    wallet.credit_card_top_up(resident=resident, amount=10_00, idempotency_key="demo:top-up:refill")
    assert post_event(client, charge_event(top_up)).status_code == 200
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.NEEDS_ATTENTION
    assert top_up.reversed_eraha_cents == 0
    assert wallet.wallet_balance(user=resident) == 10_00


def test_a_too_large_body_is_refused(client, stripe_on, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    payload = json.dumps({"id": "evt_big", "type": "x", "data": {"object": {"pad": "x" * 200}}})
    assert post_event(client, None, payload=payload).status_code == 400
    assert StripeEvent.objects.count() == 0


def test_an_overlong_event_id_is_refused(client, stripe_on, resident):
    top_up = make_top_up(resident)
    assert post_event(client, session_event(top_up, event_id="evt_" + "x" * 200)).status_code == 400
    assert nothing_written()


def test_an_unexpected_failure_answers_503_so_stripe_retries_and_nothing_is_written(
    client, stripe_on, resident, monkeypatch
):
    from payments import services

    def broken(**kwargs):
        raise RuntimeError("a bug")

    top_up = make_top_up(resident)
    monkeypatch.setattr(services, "_apply", broken)
    assert post_event(client, session_event(top_up)).status_code == 503
    assert nothing_written()
    monkeypatch.undo()
    assert post_event(client, session_event(top_up)).status_code == 200
    assert wallet.wallet_balance(user=resident) == 10_00
