"""Channel layers and websocket helpers for the notification tests."""

from __future__ import annotations

import socket

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

REDIS_TEST_URL = "redis://127.0.0.1:6379/6"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_layer(url: str) -> dict:
    """The production layer settings (eraha/settings.py) pointed at `url`."""
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 10, "socket_connect_timeout": 2}]},
        }
    }


@pytest.fixture(params=["memory", "redis"])
def channel_layer_kind(request, settings):
    """Runs a test on the in-memory layer and on the Redis layer (db 6) when Redis is there."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.CHANNEL_LAYERS = redis_layer(REDIS_TEST_URL)
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return request.param


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(path: str, *, cookie: str | None = None, origin: str | None = "http://testserver"):
    from eraha.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def in_own_thread(work):
    """Runs `work` in a fresh thread and returns its result. After the browser tests Playwright's event loop
    is still set in the main thread, where async_to_sync (used by every push) refuses to run."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def target():
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(target).result()
