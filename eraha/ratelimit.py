"""Fixed-window rate limits per user (or per partner token), kept in the Django cache (Redis in production).

The limits are data: settings.RATE_LIMITS = {scope: (count, seconds)}. Views call them in one line:
`@rate_limit("claims")` on a page (over the limit it answers 429 with a translated page), or
`hit(scope=..., ident=...)` where the caller answers itself (the partner API answers 429 JSON).
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


class RateLimited(Exception):
    """Too many attempts in the scope's window."""

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(f"rate limited: {scope}")
        self.scope = scope
        self.retry_after = retry_after


def hit(*, scope: str, ident: object) -> None:
    """Counts one attempt for `scope` and `ident`; raises RateLimited over the limit."""
    limit, window = settings.RATE_LIMITS[scope]
    now = int(time.time())
    key = f"rate:{scope}:{ident}:{now // window}"
    # add() creates the counter only if it is missing, so two first hits cannot both start at 1.
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise RateLimited(scope=scope, retry_after=window - now % window)


def too_many_requests(request, error: RateLimited):
    response = render(request, "errors/429.html", {"retry_after": error.retry_after}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def rate_limit(scope: str, *, methods: tuple[str, ...] = ("POST",)):
    """Counts every `methods` request of a signed-in user against `scope`; over the limit answers 429.

    Put it below @login_required so anonymous requests are redirected to the login page before counting.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and request.user.is_authenticated:
                try:
                    hit(scope=scope, ident=request.user.pk)
                except RateLimited as error:
                    return too_many_requests(request, error)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
