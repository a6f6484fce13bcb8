from __future__ import annotations

from notifications.models import Notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, is_read=False).count()
