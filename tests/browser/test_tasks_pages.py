"""Tasks pages in a real browser at phone width: claiming works, and axe finds no WCAG 2.1 AA violations."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM or not AXE.exists():
        pytest.skip("needs Chromium and node_modules/axe-core (make test installs them)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # The axe script is evaluated by the test, not served by eRaha, so the page's CSP is bypassed for it.
        context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True, locale="fi-FI")
        yield context.new_page()
        browser.close()


def axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [f"{v['id']}: {v['nodes'][0]['target']}" for v in result["violations"]]


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")


def test_a_resident_on_a_phone_finds_claims_and_sees_the_deadline(live_server, browser_page):
    from tasks.defaults import install
    from tasks.models import Category, MarketRule, Task, TaskPolicy
    from tests.factories import make_user
    from tests.tasks.conftest import make_open_task

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    from people.services import upsert_department

    parks = upsert_department(slug="parks", name_fi="Puistot", name_sv="Parker", name_en="Parks")
    publisher = make_user("julkaisija@example.fi", departments=[parks])
    resident = make_user("asukas@example.fi")
    task = make_open_task(
        department=parks,
        created_by=publisher,
        title="Roskien keräys Imatrankoskella",
        deadline=timezone.now() + timedelta(days=3),
    )
    page = browser_page
    sign_in(page, live_server.url, resident.email)
    page.goto(f"{live_server.url}/tasks/")
    assert axe_violations(page) == []
    page.click("text=Roskien keräys Imatrankoskella")
    assert axe_violations(page) == []
    page.click("button:has-text('Varaa tehtävä')")
    page.wait_for_selector("time[data-countdown]")
    assert task.claims.filter(resident=resident).exists()
    page.goto(f"{live_server.url}/tasks/mine/")
    assert page.locator("time[data-countdown]").count() == 1
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/tasks/new/")
    assert axe_violations(page) == []
    assert Task.objects.count() == 1
