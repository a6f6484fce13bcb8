from __future__ import annotations

from django.urls import path

from notifications import consumers

websocket_urlpatterns = [
    path("ws/resident/", consumers.ResidentConsumer.as_asgi()),
    path("ws/queue/", consumers.QueueConsumer.as_asgi()),
]
