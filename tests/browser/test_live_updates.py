"""Live updates in a real browser: a notice committed elsewhere appears on the resident's open page.

The pages and websockets are served by uvicorn (ASGI) in a thread of this process, on a free port, with the
Redis channel layer (db 6), like production's ASGI workers. The notice is committed from another thread, as a
verifier's request would be.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.db import transaction

from notifications import services
from notifications.kinds import Kind
from tests.browser.conftest import PHONE, assert_accessible, assert_fits_phone, screenshot
from tests.notifications.conftest import REDIS_TEST_URL, in_own_thread, redis_available, redis_layer, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOCKET_OPEN = """() => {
  const data = document.getElementById('live-status')['htmx-internal-data'];
  return Boolean(data && data.webSocket && data.webSocket.socket && data.webSocket.socket.readyState === 1);
}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(settings):
    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import uvicorn

    settings.CHANNEL_LAYERS = redis_layer(REDIS_TEST_URL)
    from eraha.asgi import application

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_an_approval_shows_up_on_the_residents_open_page_without_a_reload(chromium_browser, asgi_server, resident):
    from playwright.sync_api import expect

    context = chromium_browser.new_context(viewport=PHONE, base_url=asgi_server, locale="fi-FI")
    context.add_cookies([{"name": "sessionid", "value": session_cookie(resident), "url": asgi_server}])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/notifications/")
        assert page.get_by_role("heading", name="Ilmoitukset").is_visible()
        assert page.locator("#unread-count").inner_text() == "Ilmoitukset"
        page.wait_for_function(SOCKET_OPEN)
        # A marker that a reload would wipe out.
        page.evaluate("window.stillTheSamePage = true")

        def approve():
            with transaction.atomic():
                services.notify(
                    recipient=resident,
                    kind=Kind.PROOF_APPROVED,
                    params={"task": "Roskien keruu Vuoksenniskalla", "amount": 1500, "balance": 4250},
                    link="/wallet/",
                )

        started = time.monotonic()
        in_own_thread(approve)  # as a verifier's request in another worker would
        expect(page.locator("#unread-count")).to_have_text("Ilmoitukset: 1 uusi")
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"the update took {elapsed:.2f} s"
        assert page.locator("#header-balance").inner_text().endswith("42,50 eRaha")
        notice = page.locator("#notice-list li").first
        assert "Roskien keruu Vuoksenniskalla" in notice.inner_text()
        assert "15,00 eRaha" in notice.inner_text()
        assert page.locator("#live-announce").inner_text().startswith("Suorituksesi tehtävään")
        assert page.evaluate("window.stillTheSamePage") is True
        assert_fits_phone(page)
        assert_accessible(page)
        screenshot(page, "live-1-approved")

        # Marking it read with htmx updates the item in place, and the count follows over the websocket.
        page.get_by_role("button", name="Merkitse luetuksi").click()
        page.wait_for_function("() => document.getElementById('unread-count').textContent.trim() === 'Ilmoitukset'")
        expect(page.locator("#notice-list li.unread")).to_have_count(0)
        assert page.evaluate("window.stillTheSamePage") is True
    finally:
        context.close()


def test_the_notices_page_works_without_javascript_or_websocket(chromium_browser, live_server, resident):
    """Plain HTML under a WSGI server (no websocket at all): the notices are listed and can be marked read."""
    with transaction.atomic():
        services.notify(recipient=resident, kind=Kind.TOP_UP_CREDITED, params={"amount": 2000})
    context = chromium_browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="fi-FI", java_script_enabled=False
    )
    context.add_cookies([{"name": "sessionid", "value": session_cookie(resident), "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/notifications/")
        assert page.locator("#unread-count").inner_text() == "Ilmoitukset: 1 uusi"
        assert "20,00 eRaha" in page.locator("#notice-list li").first.inner_text()
        page.get_by_role("button", name="Merkitse luetuksi").click()
        page.wait_for_url("**/notifications/")
        assert page.locator("#unread-count").inner_text() == "Ilmoitukset"
        # (axe needs JavaScript; the same page is checked with it in the test above.)
        assert page.get_by_role("button", name="Merkitse luetuksi").count() == 0
    finally:
        context.close()


def test_a_verifier_sees_live_when_the_proof_on_screen_is_decided_elsewhere(
    chromium_browser, asgi_server, verifier, parks, publisher, resident
):
    import datetime as dt

    from playwright.sync_api import expect

    from tests.verification import helpers
    from verification import services as verification_services

    later = helpers.NOW + dt.timedelta(hours=3)
    task = helpers.city_task(department=parks, creator=publisher)
    proof = verification_services.submit_proof(
        claim=helpers.claim(task, resident),
        resident=resident,
        uploads=helpers.good_upload(),
        note="",
        submission_key="b1",
        now=later,
    )
    context = chromium_browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=asgi_server, locale="fi-FI"
    )
    context.add_cookies([{"name": "sessionid", "value": session_cookie(verifier), "url": asgi_server}])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"/staff/queue/{proof.pk}/")
        assert page.get_attribute("[data-proof-id]", "data-proof-id") == str(proof.pk)
        page.wait_for_function(
            "() => { const d = document.getElementById('queue-stream')['htmx-internal-data'];"
            " return Boolean(d && d.webSocket && d.webSocket.socket && d.webSocket.socket.readyState === 1); }"
        )
        # Decided elsewhere (here: the automatic path, which needs no lock) while this page is open.
        in_own_thread(lambda: verification_services.approve_proof(proof=proof, actor=None, how="auto", now=later))
        expect(page.locator("#queue-live")).to_have_text("Toinen tarkastaja ratkaisi juuri tämän suorituksen.")
        expect(page.get_by_role("button", name="Hyväksy")).to_be_disabled()
        assert_accessible(page)
        screenshot(page, "live-2-queue-decided-elsewhere")
    finally:
        context.close()
