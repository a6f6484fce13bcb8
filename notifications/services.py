"""Every write to notifications, and the live pushes that follow a commit.

Callers create notices inside their own transaction. The websocket push and the e-mail run only after that
transaction commits (`transaction.on_commit`), so rolled-back work never announces anything. A push that
fails (Redis down, layer full) is logged and dropped: the page catches up on its next poll or reload, and the
action that caused it has already succeeded.
"""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.exceptions import MissingParameter, UnknownKind
from notifications.kinds import EMAIL_KINDS, Kind, email_subject, format_eraha, render_text
from notifications.models import Notification
from notifications.selectors import unread_count

logger = logging.getLogger(__name__)

QUEUE_GROUP = "queue"
QUEUE_EVENTS = frozenset({"new_proof", "lock_taken", "lock_released", "decided"})


def user_group(user_id: int) -> str:
    """The channel group of one user's open pages."""
    return f"user.{user_id}"


def recipient_language(user) -> str:
    return user.preferred_language or settings.LANGUAGE_CODE


def notify(
    *, recipient, kind: str, params: dict, link: str = "", email: bool | None = None, key: str = ""
) -> Notification:
    """Creates a notice for `recipient` in their language, inside the caller's transaction.

    After commit: pushes it to the recipient's open pages (notice, unread count and, when `params` has a
    `balance` in cents, the new balance) and e-mails it for the kinds in EMAIL_KINDS (`email=True/False`
    overrides the kind's default), unless the recipient turned e-mail off. Amount parameters (`amount`,
    `balance`) are integer cents; datetimes are shown in Helsinki time. With a `key` (e.g.
    "claim-expiring:42") the notice is created at most once per recipient: a repeat returns the first one
    and sends nothing, so sweeps can run any number of times.
    """
    try:
        kind = Kind(kind)
    except ValueError as error:
        raise UnknownKind(kind) from error
    language = recipient_language(recipient)
    with translation.override(language):
        try:
            text = render_text(kind, params)
        except KeyError as error:
            raise MissingParameter(f"Notification {kind} needs parameter {error.args[0]!r}.") from error
    if key:
        existing = Notification.objects.filter(recipient=recipient, key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, text=text, link=link, key=key, created_at=timezone.now()
            )
    except IntegrityError:
        # A concurrent sweep created the same keyed notice a moment ago: it sends the push, not us.
        return Notification.objects.get(recipient=recipient, key=key)
    balance = params.get("balance")
    transaction.on_commit(partial(_push_notice, notification=notification, balance=balance), robust=True)
    wants_email = kind in EMAIL_KINDS if email is None else email
    if wants_email and recipient.email_notifications and recipient.email:
        transaction.on_commit(partial(_send_email, notification=notification), robust=True)
    return notification


def mark_read(*, user, notification: Notification) -> bool:
    """Marks one of the user's notices read; False if it already was."""
    changed = Notification.objects.filter(pk=notification.pk, recipient=user, is_read=False).update(is_read=True)
    if changed:
        transaction.on_commit(partial(_push_unread_count, user=user), robust=True)
    return bool(changed)


def mark_all_read(*, user) -> int:
    """Marks every unread notice of the user read; returns how many changed."""
    changed = Notification.objects.filter(recipient=user, is_read=False).update(is_read=True)
    if changed:
        transaction.on_commit(partial(_push_unread_count, user=user), robust=True)
    return changed


def broadcast_queue_event(*, event: str, proof_id: int, html: str = "", data: dict | None = None) -> None:
    """After commit, tells every open verification queue page about a proof.

    `event` is one of QUEUE_EVENTS (new_proof, lock_taken, lock_released, decided). `html` is a rendered
    fragment that htmx swaps in by id (give it `id=` or `hx-swap-oob=`); without it the page gets a JSON
    message `{"event", "proof_id", "data"}` for its own script. `data` must be JSON-serialisable.
    """
    if event not in QUEUE_EVENTS:
        raise ValueError(f"Unknown queue event {event!r}; expected one of {sorted(QUEUE_EVENTS)}.")
    message = {"type": "queue.event", "event": event, "proof_id": proof_id, "html": html, "data": data or {}}
    transaction.on_commit(partial(send_to_group, group=QUEUE_GROUP, message=message), robust=True)


def send_to_group(*, group: str, message: dict) -> bool:
    """Sends to a channel group now; logs and returns False when the layer fails (it never raises)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("Live push to %s failed; open pages catch up on their next poll.", group, exc_info=True)
        return False
    return True


def _push_notice(*, notification: Notification, balance: int | None) -> None:
    recipient = notification.recipient
    with translation.override(recipient_language(recipient)):
        html = render_to_string(
            "notifications/_push.html",
            {
                "notification": notification,
                "unread_notifications": unread_count(recipient),
                "push_balance": balance is not None,
                "header_balance": format_eraha(balance) if balance is not None else "",
            },
        )
    send_to_group(group=user_group(recipient.pk), message={"type": "notify.push", "html": html})


def _push_unread_count(*, user) -> None:
    with translation.override(recipient_language(user)):
        html = render_to_string("notifications/_unread_count.html", {"unread_notifications": unread_count(user)})
    send_to_group(group=user_group(user.pk), message={"type": "notify.push", "html": html})


def _send_email(*, notification: Notification) -> None:
    recipient = notification.recipient
    with translation.override(recipient_language(recipient)):
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + email_subject(notification.kind)
        body = render_to_string(
            "notifications/email.txt",
            {"notification": notification, "recipient": recipient, "site_url": settings.SITE_URL.rstrip("/")},
        )
    try:
        send_mail(subject, body, None, [recipient.email])
    except Exception:
        # The notice is in the app already; a failed e-mail must not undo or fail the action.
        logger.warning("E-mail notice %s to user %s failed.", notification.pk, recipient.pk, exc_info=True)


def delete_notifications(*, user) -> int:
    """Deletes every notice of a person (account deletion): their texts name other people and amounts."""
    deleted, _per_model = Notification.objects.filter(recipient=user).delete()
    return deleted
