"""Websocket streams: a resident's own notices and balance, and the verifiers' queue.

Both are server-to-client only. The ASGI stack in front of them (eraha/asgi.py) checks the Origin against
ALLOWED_HOSTS and loads the session user. Anything a client sends is ignored: a bad message can neither
crash the consumer nor reach another user's group.
"""

from __future__ import annotations

import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from notifications.services import QUEUE_GROUP, user_group

logger = logging.getLogger(__name__)

# Close codes in the application range (4000-4999): the client may show why, and does not loop quickly.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNAVAILABLE = 4503


class _PushConsumer(AsyncWebsocketConsumer):
    """Joins one group after an access check; forwards the group's messages; ignores the client."""

    group_name: str | None = None

    async def group_for(self, user) -> str | None:
        raise NotImplementedError

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        group = await self.group_for(user)
        if group is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            # Redis down: refuse the socket; the page keeps working on its fallback poll.
            logger.warning("Could not join %s; live updates unavailable.", group, exc_info=True)
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        self.group_name = group
        await self.accept()

    async def disconnect(self, code):
        if self.group_name is not None:
            try:
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
            except Exception:
                logger.warning("Could not leave %s.", self.group_name, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        # The streams are one-way. htmx's ws-send or a hostile client may still send: ignore it.
        return


class ResidentConsumer(_PushConsumer):
    """`/ws/resident/`: the signed-in user's own group `user.<pk>`, never anyone else's."""

    async def group_for(self, user) -> str | None:
        return user_group(user.pk)

    async def notify_push(self, event):
        await self.send(text_data=event["html"])


@database_sync_to_async
def _may_watch_queue(user) -> bool:
    from people.mfa import needs_mfa_setup

    # The same rule as the queue page: the permission, and staff must have two-factor authentication.
    return user.has_perm("people.verify_proofs") and not needs_mfa_setup(user)


class QueueConsumer(_PushConsumer):
    """`/ws/queue/`: verifiers only (people.verify_proofs), group `queue`."""

    async def group_for(self, user) -> str | None:
        return QUEUE_GROUP if await _may_watch_queue(user) else None

    async def queue_event(self, event):
        if event.get("html"):
            await self.send(text_data=event["html"])
        else:
            payload = {"event": event["event"], "proof_id": event["proof_id"], "data": event.get("data") or {}}
            await self.send(text_data=json.dumps(payload))
