from __future__ import annotations

from notifications.models import Notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, is_read=False).count()


def sent_keys(keys: list[str]) -> set[str]:
    """Which of these notice keys were already used (for sweeps that count only new notices)."""
    return set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
