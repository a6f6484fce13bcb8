"""Websocket routes. Apps add their consumers here."""

from __future__ import annotations

from notifications.routing import websocket_urlpatterns as notifications_routes

websocket_urlpatterns: list = [
    *notifications_routes,
]
