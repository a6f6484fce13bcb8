"""Tasks pages in a real browser at phone width: claiming works, and axe finds no WCAG 2.1 AA violations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def browser_page(chromium_browser):
    """A phone-sized page in the shared Chromium (tests/browser/conftest.py), with the real CSP in force."""
    context = chromium_browser.new_context(viewport={"width": 360, "height": 800}, locale="fi-FI")
    yield context.new_page()
    context.close()


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


def sign_in_with_session(page, base, user):
    """Staff sign in with a second factor; the test starts from an authenticated session instead."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])


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


def test_publisher_and_moderation_pages_have_no_accessibility_violations(live_server, browser_page):
    from people import roles
    from people.services import upsert_department
    from tasks.defaults import install
    from tasks.models import Category, MarketRule, TaskPolicy, TaskTemplate
    from tests.factories import make_user
    from wallet import services as wallet

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    parks = upsert_department(slug="parks", name_fi="Puistot", name_sv="Parker", name_en="Parks")
    wallet.fund_department(department=parks, amount=100_000, actor=None, idempotency_key="browser:fund")
    publisher = make_user("julkaisija@example.fi", role=roles.PUBLISHER, departments=[parks])
    template = TaskTemplate.objects.create(
        department=parks,
        category=Category.objects.get(slug="litter"),
        name="Roskien keräys puistossa",
        title="Roskien keräys: {place}",
        description="Kerää roskat.",
        reward_cents=500,
        created_by=publisher,
    )
    page = browser_page
    sign_in_with_session(page, live_server.url, publisher)
    for path in ("/tasks/publish/", "/tasks/publish/new/", "/tasks/publish/templates/new/"):
        page.goto(f"{live_server.url}{path}")
        assert page.url == f"{live_server.url}{path}"
        assert axe_violations(page) == [], path
    page.goto(f"{live_server.url}/tasks/publish/templates/{template.pk}/")
    page.fill(
        "textarea[name=places]",
        "Kruununpuisto, Kruununpuisto, 61.1724, 28.7646\nVarpasaari, Varpasaari, 61.1968, 28.7814",
    )
    page.click("button[name=confirm][value='0']")
    page.wait_for_selector("#preview-heading")
    assert axe_violations(page) == []
    page.click("button[name=confirm][value='1']")
    page.wait_for_url(f"{live_server.url}/tasks/publish/")
    assert template.tasks.count() == 2


def test_a_verifier_moderates_a_task_in_review_without_accessibility_violations(live_server, browser_page):
    from people import roles
    from tasks import services
    from tasks.defaults import install
    from tasks.models import Category, MarketRule, ScreeningOverride, Task, TaskPolicy
    from tests.factories import make_user
    from wallet import services as wallet

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    resident = make_user("asukas@example.fi")
    verifier = make_user("tarkastaja@example.fi", role=roles.VERIFIER)
    wallet.credit_card_top_up(resident=resident, amount=5000, idempotency_key="browser:top-up")
    now = timezone.now()
    task = services.create_task(
        created_by=resident,
        poster=resident,
        now=now,
        category=Category.objects.get(slug="neighbour-help"),
        title="Kauppa-apu",
        description="Kannan kassit, maksan käteisellä.",
        address="",
        latitude=None,
        longitude=None,
        reward_cents=800,
        slots=1,
        claim_window_hours=24,
        deadline=now + timedelta(days=2),
        photo_count=0,
        before_after=False,
        taken_after_claim=False,
        max_distance_m=None,
    )
    decision = services.submit_task(task=task, actor=resident, now=now)
    page = browser_page
    sign_in_with_session(page, live_server.url, verifier)
    page.goto(f"{live_server.url}/tasks/moderation/")
    assert axe_violations(page) == []
    page.click("text=Kauppa-apu")
    page.wait_for_url(f"{live_server.url}/tasks/moderation/{decision.pk}/")
    assert axe_violations(page) == []
    page.check("input[name=outcome][value=allow]")
    page.fill("textarea[name=reason]", "Maksu vain eRahana.")
    page.click("button[type=submit]:has-text('Tallenna päätös')")
    page.wait_for_url(f"{live_server.url}/tasks/moderation/")
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
    assert ScreeningOverride.objects.get().reason == "Maksu vain eRahana."
