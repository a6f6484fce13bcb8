"""Wallet pages in a real browser at phone width: send eRaha to a neighbour; axe finds no WCAG 2.1 AA issues."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, assert_fits_phone
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_on_a_phone_sends_eraha_to_a_neighbour(phone, live_server):
    from wallet import services

    resident = make_user("asukas@example.fi", display_name="Aino Asukas", handle="aino")
    neighbour = make_user("naapuri@example.fi", display_name="Niilo Naapuri", handle="niilo")
    services.credit_card_top_up(resident=resident, amount=20_00, idempotency_key="t1")
    page = phone
    page.goto("/accounts/login/")
    page.fill("input[name=login]", resident.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/wallet/")
    assert "20,00 eRaha" in page.inner_text(".wallet-amount")
    assert_accessible(page)
    assert_fits_phone(page)
    page.click("a[href='/wallet/send/']")
    page.fill("input[name=recipient]", "niilo")
    page.fill("input[name=amount]", "2,50")
    page.fill("input[name=memo]", "Kiitos")
    assert_accessible(page)
    page.click("form.narrow-form button[type=submit]")
    assert "Niilo Naapuri" in page.inner_text("main")
    assert_accessible(page)
    assert_fits_phone(page)
    page.click("button[name=confirm]")
    page.wait_for_url("**/wallet/")
    assert "17,50 eRaha" in page.inner_text(".wallet-amount")
    assert services.wallet_balance(user=neighbour) == 2_50
    assert_accessible(page)
