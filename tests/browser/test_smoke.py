"""Smoke test: the demo resident signs in on a phone and sees Finnish, accessible pages."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser.conftest import assert_accessible, assert_fits_phone, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_resident_signs_in_on_a_phone_and_sees_finnish_accessible_pages(phone, settings):
    call_command("seed_demo", quiet=True)
    page = phone

    page.goto("/")
    assert page.get_attribute("html", "lang") == "fi"
    assert_fits_phone(page)
    assert_accessible(page)
    screenshot(page, "smoke-1-home")

    page.get_by_role("link", name="Kirjaudu sisään").first.click()
    assert_accessible(page)
    page.get_by_label("Sähköposti").fill("asukas@example.fi")
    page.get_by_label("Salasana").fill(settings.DEMO_PASSWORD)
    screenshot(page, "smoke-2-login")
    page.get_by_role("button", name="Kirjaudu sisään").click()

    page.wait_for_url("**/")
    assert page.get_by_text("Aino Asukas").first.is_visible()
    assert page.get_by_role("button", name="Kirjaudu ulos").is_visible()
    assert_fits_phone(page)
    assert_accessible(page)
    screenshot(page, "smoke-3-signed-in")

    page.goto("/accounts/profile/")
    assert page.get_by_role("heading", name="Profiili").is_visible()
    assert_fits_phone(page)
    assert_accessible(page)

    page.goto("/no-such-page/")
    assert page.get_by_role("heading", name="Sivua ei löytynyt").is_visible()
    assert_accessible(page)


def test_the_skip_link_and_focus_are_visible_for_keyboard_users(phone, db):
    page = phone
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Siirry sisältöön" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
