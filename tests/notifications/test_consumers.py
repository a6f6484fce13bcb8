"""The resident and queue websocket streams: who may connect, who receives what, and bad client input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction

from notifications import services
from notifications.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from notifications.kinds import Kind
from tests.notifications.conftest import communicator, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def _approve(recipient, *, balance=2500):
    with transaction.atomic():
        services.notify(
            recipient=recipient,
            kind=Kind.PROOF_APPROVED,
            params={"task": "Roskien keruu", "amount": 500, "balance": balance},
            link="/wallet/",
        )


def _broadcast(event="lock_taken", proof_id=7, html=""):
    with transaction.atomic():
        services.broadcast_queue_event(event=event, proof_id=proof_id, html=html, data={"by": "Tarkastaja"})


def run(scenario):
    """Runs the async scenario in a thread of its own: after the browser tests, Playwright's event loop is
    still set in the main thread, and async_to_sync refuses to run there."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        # A bounded wait: a stuck scenario fails the test instead of hanging the whole suite.
        pool.submit(async_to_sync(scenario)).result(timeout=60)
    finally:
        pool.shutdown(wait=False)


def test_a_signed_in_resident_receives_their_own_notice_with_count_and_balance(channel_layer_kind, resident):
    cookie = session_cookie(resident)

    async def scenario():
        ws = communicator("/ws/resident/", cookie=cookie)
        connected, _ = await ws.connect()
        assert connected
        await sync_to_async(_approve)(resident)
        html = await ws.receive_from(timeout=3)
        assert 'id="unread-count"' in html
        assert "1 new" in html or "1 uusi" in html
        assert 'id="header-balance"' in html and "25,00" in html
        assert 'hx-swap-oob="afterbegin:#notice-list"' in html
        assert "Roskien keruu" in html
        await ws.disconnect()

    run(scenario)


def test_an_anonymous_visitor_cannot_open_a_resident_stream(channel_layer_kind, db):
    async def scenario():
        ws = communicator("/ws/resident/")
        connected, code = await ws.connect()
        assert not connected
        assert code == CLOSE_UNAUTHENTICATED
        await ws.disconnect()

    run(scenario)


def test_a_connection_from_another_origin_is_refused(channel_layer_kind, resident):
    cookie = session_cookie(resident)

    async def scenario():
        for origin in ("https://evil.example.com", None):
            ws = communicator("/ws/resident/", cookie=cookie, origin=origin)
            connected, _ = await ws.connect()
            assert not connected, origin
            await ws.disconnect()  # let the refused application finish inside this loop

    run(scenario)


def test_a_resident_never_receives_another_residents_notices(channel_layer_kind, resident, neighbour):
    resident_cookie, neighbour_cookie = session_cookie(resident), session_cookie(neighbour)

    async def scenario():
        mine = communicator("/ws/resident/", cookie=resident_cookie)
        theirs = communicator("/ws/resident/", cookie=neighbour_cookie)
        assert (await mine.connect())[0] and (await theirs.connect())[0]
        await sync_to_async(_approve)(resident)
        assert "Roskien keruu" in await mine.receive_from(timeout=3)
        assert await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()

    run(scenario)


def test_a_resident_cannot_subscribe_to_another_group_by_sending_a_message(channel_layer_kind, resident, neighbour):
    neighbour_cookie = session_cookie(neighbour)

    async def scenario():
        ws = communicator("/ws/resident/", cookie=neighbour_cookie)
        assert (await ws.connect())[0]
        await ws.send_json_to({"type": "group.add", "group": f"user.{resident.pk}"})
        await ws.send_json_to({"subscribe": "queue"})
        await sync_to_async(_approve)(resident)
        await sync_to_async(_broadcast)()
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    run(scenario)


def test_malformed_client_messages_are_ignored_and_the_stream_keeps_working(channel_layer_kind, resident):
    cookie = session_cookie(resident)

    async def scenario():
        ws = communicator("/ws/resident/", cookie=cookie)
        assert (await ws.connect())[0]
        await ws.send_to(text_data="{not json")
        await ws.send_to(bytes_data=b"\x00\xff\xfe binary")
        await ws.send_to(text_data="x" * 100_000)
        await ws.send_json_to({"type": "notify.push", "html": "<script>alert(1)</script>"})
        assert await ws.receive_nothing(timeout=0.3)
        await sync_to_async(_approve)(resident)
        html = await ws.receive_from(timeout=3)
        assert "Roskien keruu" in html and "<script>" not in html
        await ws.disconnect()

    run(scenario)


def test_queue_events_reach_verifiers_and_not_residents(channel_layer_kind, verifier, resident):
    verifier_cookie, resident_cookie = session_cookie(verifier), session_cookie(resident)

    async def scenario():
        refused = communicator("/ws/queue/", cookie=resident_cookie)
        connected, code = await refused.connect()
        assert not connected and code == CLOSE_FORBIDDEN
        await refused.disconnect()

        queue = communicator("/ws/queue/", cookie=verifier_cookie)
        stream = communicator("/ws/resident/", cookie=resident_cookie)
        assert (await queue.connect())[0] and (await stream.connect())[0]
        await sync_to_async(_broadcast)(html='<li id="proof-7" hx-swap-oob="true">Lukittu</li>')
        assert await queue.receive_from(timeout=3) == '<li id="proof-7" hx-swap-oob="true">Lukittu</li>'
        await sync_to_async(_broadcast)(event="decided", proof_id=8)
        assert await queue.receive_json_from(timeout=3) == {
            "event": "decided",
            "proof_id": 8,
            "data": {"by": "Tarkastaja"},
        }
        assert await stream.receive_nothing(timeout=0.3)
        await queue.disconnect()
        await stream.disconnect()

    run(scenario)


def test_a_verifier_without_two_factor_authentication_cannot_watch_the_queue(channel_layer_kind, parks):
    from people import roles
    from tests.factories import make_user

    staff = make_user("uusi.tarkastaja@example.fi", role=roles.VERIFIER, departments=[parks], mfa=False)
    cookie = session_cookie(staff)

    async def scenario():
        ws = communicator("/ws/queue/", cookie=cookie)
        connected, code = await ws.connect()
        assert not connected and code == CLOSE_FORBIDDEN
        await ws.disconnect()

    run(scenario)


def test_work_that_rolls_back_sends_nothing_to_the_stream(channel_layer_kind, resident, verifier):
    resident_cookie, verifier_cookie = session_cookie(resident), session_cookie(verifier)

    def approve_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify(
                recipient=resident,
                kind=Kind.PROOF_APPROVED,
                params={"task": "Roskien keruu", "amount": 500, "balance": 2500},
            )
            services.broadcast_queue_event(event="decided", proof_id=1)
            raise RuntimeError("the ledger refused")

    async def scenario():
        stream = communicator("/ws/resident/", cookie=resident_cookie)
        queue = communicator("/ws/queue/", cookie=verifier_cookie)
        assert (await stream.connect())[0] and (await queue.connect())[0]
        await sync_to_async(approve_then_fail)()
        assert await stream.receive_nothing(timeout=0.3)
        assert await queue.receive_nothing(timeout=0.1)
        await stream.disconnect()
        await queue.disconnect()

    run(scenario)
    assert not resident.notifications.exists()


def test_an_idle_stream_on_redis_outlives_the_layers_blocking_read(resident):
    """channels_redis blocks 5 s per read; redis-py 8 also times out reads at 5 s unless told otherwise."""
    from tests.notifications.conftest import REDIS_TEST_URL, redis_available, redis_layer

    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    from django.test import override_settings

    cookie = session_cookie(resident)

    async def scenario():
        import asyncio

        ws = communicator("/ws/resident/", cookie=cookie)
        assert (await ws.connect())[0]
        await asyncio.sleep(6.5)
        await sync_to_async(_approve)(resident)
        assert "Roskien keruu" in await ws.receive_from(timeout=3)
        await ws.disconnect()

    with override_settings(CHANNEL_LAYERS=redis_layer(REDIS_TEST_URL)):
        run(scenario)
