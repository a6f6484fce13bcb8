"""The top-up page, the Checkout request sent to Stripe, and the status and cancel pages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from payments.models import TopUp, TopUpStatus
from tests.payments.conftest import make_top_up, post_event, session_event

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 12, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


def test_the_page_offers_fixed_amounts_and_shows_the_eraha_received(signed_in, stripe_on):
    response = signed_in.get("/wallet/top-up/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="1000"' in body and 'value="custom"' in body
    assert "10,00 €" in body and "10,00 eRaha" in body


def test_choosing_an_amount_creates_a_checkout_session_and_redirects_to_stripe(signed_in, stripe_on, resident):
    with time_machine.travel(NOW, tick=False):
        response = signed_in.post("/wallet/top-up/", {"amount": "1000"})
    top_up = TopUp.objects.get()
    assert top_up.status == TopUpStatus.PENDING
    assert (top_up.eur_cents, top_up.eraha_cents, top_up.resident) == (10_00, 10_00, resident)
    assert response.status_code == 302
    assert response["Location"] == top_up.checkout_url
    assert top_up.session_id in top_up.checkout_url
    [sent] = stripe_on.requests
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["headers"]["Idempotency-Key"] == f"eraha-top-up-{top_up.pk}"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_fake"
    form = sent["form"]
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == str(top_up.pk)
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == "1000"
    assert form["line_items[0][quantity]"] == "1"
    assert form["metadata[top_up_id]"] == str(top_up.pk)
    assert form["metadata[resident_id]"] == str(resident.pk)
    assert form["metadata[eraha_cents]"] == "1000"
    assert form["payment_intent_data[metadata][top_up_id]"] == str(top_up.pk)
    assert form["customer_email"] == resident.email
    assert form["success_url"] == f"http://testserver/wallet/top-up/{top_up.pk}/"
    assert form["cancel_url"] == f"http://testserver/wallet/top-up/{top_up.pk}/cancelled/"
    assert form["expires_at"] == str(int((NOW + dt.timedelta(hours=1)).timestamp()))
    assert form["locale"] == "fi"


def test_a_custom_amount_with_decimals_is_accepted(signed_in, stripe_on, settings):
    settings.TOP_UP_ERAHA_CENTS_PER_EURO = 150
    signed_in.post("/wallet/top-up/", {"amount": "custom", "custom_amount": "12,50"})
    top_up = TopUp.objects.get()
    assert (top_up.eur_cents, top_up.eraha_cents) == (12_50, 18_75)
    assert stripe_on.requests[0]["form"]["line_items[0][price_data][unit_amount]"] == "1250"


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "custom", "custom_amount": "4,99"},
        {"amount": "custom", "custom_amount": "100,01"},
        {"amount": "custom", "custom_amount": "-10"},
        {"amount": "custom", "custom_amount": "abc"},
        {"amount": "custom", "custom_amount": "10,001"},
        {"amount": "custom", "custom_amount": "NaN"},
        {"amount": "custom", "custom_amount": ""},
        {"amount": "777"},
        {},
    ],
)
def test_an_amount_outside_the_limits_is_refused_and_stripe_is_not_called(signed_in, stripe_on, data):
    response = signed_in.post("/wallet/top-up/", data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert TopUp.objects.count() == 0
    assert stripe_on.requests == []


def test_the_monthly_limit_counts_paid_and_open_top_ups(signed_in, stripe_on, resident):
    with time_machine.travel(NOW, tick=False):
        paid = make_top_up(resident, eur_cents=100_00, status=TopUpStatus.PENDING)
        TopUp.objects.filter(pk=paid.pk).update(status=TopUpStatus.NEEDS_ATTENTION)
        open_one = make_top_up(resident, eur_cents=95_00, status=TopUpStatus.PENDING)
        make_top_up(resident, eur_cents=100_00, status=TopUpStatus.EXPIRED)
        response = signed_in.post("/wallet/top-up/", {"amount": "custom", "custom_amount": "10"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'value="1000"' not in response.content.decode()  # only amounts within the limit are offered
    assert TopUp.objects.count() == 3 and stripe_on.requests == []
    with time_machine.travel(NOW, tick=False):
        assert signed_in.post("/wallet/top-up/", {"amount": "500"}).status_code == 302
    assert {paid.pk, open_one.pk} < set(TopUp.objects.values_list("pk", flat=True))


def test_open_top_ups_stop_counting_once_they_expire(signed_in, stripe_on, resident):
    with time_machine.travel(NOW, tick=False):
        make_top_up(resident, eur_cents=100_00)
        make_top_up(resident, eur_cents=100_00)
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        assert signed_in.post("/wallet/top-up/", {"amount": "1000"}).status_code == 302


def test_last_months_top_ups_do_not_count(signed_in, stripe_on, resident):
    with time_machine.travel(NOW - dt.timedelta(days=31), tick=False):
        old = make_top_up(resident, eur_cents=100_00, status=TopUpStatus.PENDING)
        TopUp.objects.filter(pk=old.pk).update(status=TopUpStatus.NEEDS_ATTENTION)
        make_top_up(resident, eur_cents=100_00, status=TopUpStatus.NEEDS_ATTENTION)
    with time_machine.travel(NOW, tick=False):
        assert signed_in.post("/wallet/top-up/", {"amount": "5000"}).status_code == 302


def test_stripe_unreachable_shows_a_clear_message_and_marks_the_top_up_failed(signed_in, stripe_on, settings):
    stripe_on.close()
    response = signed_in.post("/wallet/top-up/", {"amount": "1000"})
    assert response.status_code == 200
    assert "Nothing was charged" in response.content.decode() or "Mitään ei veloitettu" in response.content.decode()
    top_up = TopUp.objects.get()
    assert top_up.status == TopUpStatus.FAILED and top_up.session_id is None and top_up.checkout_url == ""


def test_a_stripe_error_answer_marks_the_top_up_failed(signed_in, stripe_on):
    stripe_on.status = 500
    response = signed_in.post("/wallet/top-up/", {"amount": "1000"})
    assert response.status_code == 200
    assert TopUp.objects.get().status == TopUpStatus.FAILED


def test_an_anonymous_visitor_is_sent_to_sign_in(client, stripe_on):
    response = client.get("/wallet/top-up/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/wallet/top-up/",
        "/wallet/top-up/preview/",
        "/wallet/top-up/1/",
        "/wallet/top-up/1/cancelled/",
        "/wallet/top-up/reconciliation/",
    ],
)
def test_without_stripe_keys_every_top_up_url_is_a_404(signed_in, stripe_off, resident, url):
    make_top_up(resident)
    assert signed_in.get(url).status_code == 404
    assert signed_in.post("/wallet/top-up/", {"amount": "1000"}).status_code == 404
    assert TopUp.objects.count() == 1


def test_the_link_partial_shows_only_with_stripe_keys(settings, resident, stripe_off):
    request = RequestFactory().get("/wallet/")
    request.user = resident
    assert "top-up" not in render_to_string("payments/_top_up_link.html", request=request)
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    assert "/wallet/top-up/" in render_to_string("payments/_top_up_link.html", request=request)


def test_the_preview_shows_the_eraha_for_a_custom_amount(signed_in, stripe_on):
    assert "12,50 eRaha" in signed_in.get("/wallet/top-up/preview/", {"custom_amount": "12,50"}).content.decode()
    assert "eRaha" not in signed_in.get("/wallet/top-up/preview/", {"custom_amount": "1"}).content.decode()


def test_the_status_page_tells_the_truth_until_the_webhook_credits(signed_in, client, stripe_on, resident):
    top_up = make_top_up(resident)
    page = signed_in.get(f"/wallet/top-up/{top_up.pk}/").content.decode()
    assert 'hx-trigger="every 3s"' in page
    assert "10,00 eRaha" in page and "lisätty" not in page
    post_event(client, session_event(top_up))
    partial = signed_in.get(f"/wallet/top-up/{top_up.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial.split("</div>")[0]
    assert 'hx-swap-oob="true"' in partial and "10,00 eRaha" in partial


def test_someone_elses_top_up_is_a_404(signed_in, stripe_on, neighbour):
    other = make_top_up(neighbour)
    assert signed_in.get(f"/wallet/top-up/{other.pk}/").status_code == 404
    assert signed_in.get(f"/wallet/top-up/{other.pk}/cancelled/").status_code == 404
    assert signed_in.get("/wallet/top-up/999999/").status_code == 404


def test_the_cancel_page_says_nothing_was_charged(signed_in, stripe_on, resident, settings):
    settings.LANGUAGE_CODE = "en"
    top_up = make_top_up(resident)
    response = signed_in.get(f"/wallet/top-up/{top_up.pk}/cancelled/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert TopUp.objects.get().status == TopUpStatus.PENDING


def test_the_top_up_page_query_count_does_not_grow_with_history(signed_in, stripe_on, resident):
    for _ in range(3):
        make_top_up(resident, status=TopUpStatus.EXPIRED)
    with CaptureQueriesContext(connection) as first:
        signed_in.get("/wallet/top-up/")
    for _ in range(10):
        make_top_up(resident, status=TopUpStatus.EXPIRED)
    with CaptureQueriesContext(connection) as second:
        signed_in.get("/wallet/top-up/")
    assert len(second) == len(first)


def test_a_typed_amount_counts_even_without_ticking_other_amount(signed_in, stripe_on):
    assert signed_in.post("/wallet/top-up/", {"custom_amount": "15"}).status_code == 302
    assert TopUp.objects.get().eur_cents == 15_00


def test_the_wallet_page_lists_top_ups_waiting_for_payment(signed_in, stripe_on, resident):
    make_top_up(resident, eur_cents=20_00)
    make_top_up(resident, status=TopUpStatus.EXPIRED)
    page = signed_in.get("/wallet/").content.decode()
    assert "Korttilataus odottaa maksua" in page and "20,00 eRaha" in page


def test_the_wallet_page_lists_no_top_ups_without_stripe_keys(signed_in, stripe_off, resident):
    make_top_up(resident, eur_cents=20_00)
    assert "Korttilataus" not in signed_in.get("/wallet/").content.decode()


def test_a_stripe_answer_without_a_payment_page_marks_the_top_up_failed(signed_in, stripe_on, monkeypatch):
    from payments import stripe_gateway

    monkeypatch.setattr(stripe_gateway, "MAX_SESSION_ID_LENGTH", 5)
    response = signed_in.post("/wallet/top-up/", {"amount": "1000"})
    assert response.status_code == 200
    assert TopUp.objects.get().status == TopUpStatus.FAILED
