"""The one access helper of card top-ups, used by every view."""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404

from payments import stripe_gateway
from payments.models import TopUp
from people import roles


def top_ups_enabled(view):
    """Without Stripe keys the feature does not exist: every URL of it answers 404."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not stripe_gateway.enabled():
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


def get_top_up_for_user(user, top_up_id: int) -> TopUp:
    """The resident's own top-up; anyone else's (or none) is a 404."""
    top_up = TopUp.objects.filter(pk=top_up_id, resident_id=user.pk).first() if user.is_authenticated else None
    if top_up is None:
        raise Http404()
    return top_up


def require_reconciliation_access(user) -> None:
    if not roles.is_city_admin(user):
        raise PermissionDenied()
