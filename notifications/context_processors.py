from __future__ import annotations

from notifications.selectors import unread_count


def live_status(request):
    """Unread count for the header, and whether the page opens the resident's live stream."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user), "live_updates": True}
