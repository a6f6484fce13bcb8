from __future__ import annotations


class NotificationError(Exception):
    """Base class of the notification app's errors."""


class UnknownKind(NotificationError):
    """The kind is not one of notifications.kinds.Kind."""


class MissingParameter(NotificationError):
    """The text of the kind needs a parameter the caller did not give."""
