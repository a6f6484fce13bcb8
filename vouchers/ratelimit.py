"""Fixed-window rate limits on code lookups, kept in the Django cache (Redis in production).

Codes cannot be enumerated: every lookup or redemption attempt counts against the token (API) or the
cashier (desk page). The limits are settings.VOUCHER_LOOKUP_LIMITS = {"token": (count, seconds),
"cashier": (count, seconds)}.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from vouchers.exceptions import RateLimited


def check_rate(*, scope: str, ident: object) -> None:
    """Counts one lookup for `scope` ("token" or "cashier") and `ident`; raises RateLimited over the limit."""
    limit, window = settings.VOUCHER_LOOKUP_LIMITS[scope]
    now = int(time.time())
    bucket = now // window
    key = f"vouchers:rate:{scope}:{ident}:{bucket}"
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
        raise RateLimited(retry_after=window - now % window)
