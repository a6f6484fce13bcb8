"""Card top-up pages on a phone: accessible, the eRaha preview, and the status page that updates itself
when the webhook credits the wallet."""

from __future__ import annotations

import json

import pytest
import requests

from tests.browser.conftest import assert_accessible, assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user
from tests.payments.conftest import WEBHOOK_SECRET, FakeStripe, make_top_up, session_event, sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_keys(settings):
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    yield fake
    fake.close()


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Sähköposti").fill(email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.wait_for_url("**/")


def test_a_resident_sees_what_a_custom_amount_buys_and_the_credit_arrive(phone, stripe_keys, live_server):
    resident = make_user("aino@example.fi", display_name="Aino Asukas")
    page = phone
    sign_in(page, "aino@example.fi")

    page.goto("/wallet/top-up/")
    assert page.get_by_role("heading", name="Lataa kortilla").is_visible()
    page.get_by_label("Muu summa (€)").fill("12,50")
    page.get_by_text("Saat 12,50 eRaha.").wait_for()
    assert_fits_phone(page)
    assert_accessible(page)
    screenshot(page, "top-up-1-amounts")

    top_up = make_top_up(resident, eur_cents=10_00)
    page.goto(f"/wallet/top-up/{top_up.pk}/")
    assert page.get_by_text("Odottaa vahvistusta").is_visible()
    assert_fits_phone(page)
    assert_accessible(page)

    payload = json.dumps(session_event(top_up))
    answer = requests.post(
        f"{live_server.url}/stripe/webhook/",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
        timeout=10,
    )
    assert answer.status_code == 200
    page.get_by_text("10,00 eRaha lisättiin lompakkoosi.").wait_for(timeout=10000)
    assert "10,00 eRaha" in page.locator("#header-status").inner_text()
    assert_accessible(page)
    screenshot(page, "top-up-2-credited")
    page.goto("about:blank")  # no request of this page is still in flight when the database is torn down
