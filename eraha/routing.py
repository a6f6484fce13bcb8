"""Websocket routes. Apps add their consumers here."""

from __future__ import annotations

websocket_urlpatterns: list = []
