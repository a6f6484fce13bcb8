"""The city dashboard, the data pages and the statements on a phone: accessible (axe) and no sideways scroll."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tests.browser.conftest import assert_accessible, assert_fits_phone, screenshot
from tests.reports.conftest import LATER, RANGE, city  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, live_server, user) -> None:
    """Signs in by handing the browser a session made by Django's test client (staff have TOTP)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.usefixtures("city")
def test_the_city_dashboard_is_accessible_on_a_phone(phone, live_server, city_admin):
    sign_in_as(phone, live_server, city_admin)
    with time_machine.travel(LATER, tick=True):
        phone.goto(f"/staff/dashboard/?start={RANGE['start']}&end={RANGE['end']}")
    assert phone.get_by_role("heading", name="Kaupungin koontinäkymä").is_visible()
    assert phone.locator("svg[role=img]").count() == 2
    assert_accessible(phone)
    screenshot(phone, "reports-dashboard")
    phone.goto("/staff/dashboard/?start=2026-06-10&end=2026-06-01")
    assert phone.get_by_text("Alkupäivän on oltava sama tai aikaisempi kuin loppupäivä.").is_visible()
    assert_accessible(phone)


@pytest.mark.usefixtures("city")
def test_the_data_pages_and_statements_are_accessible(phone, live_server, resident):
    sign_in_as(phone, live_server, resident)
    for path in ("/accounts/my-data/", "/accounts/delete/", "/accessibility/", "/privacy/"):
        phone.goto(path)
        assert_fits_phone(phone)
        assert_accessible(phone)
