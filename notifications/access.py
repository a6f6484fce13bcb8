"""The one access helper every notifications view uses."""

from __future__ import annotations

from django.http import Http404

from notifications.models import Notification


def get_notification_for_user(user, notification_id: int) -> Notification:
    """The user's own notice; anyone else's is 404, so ids reveal nothing."""
    try:
        return Notification.objects.get(pk=notification_id, recipient=user)
    except Notification.DoesNotExist as error:
        raise Http404 from error
