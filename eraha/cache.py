"""The Redis cache, made to fail soft: when Redis is down the app keeps serving as if the cache were empty.

Sessions (cached_db) fall back to the database, allauth's rate limits and the voucher lookup limits count
nothing while Redis is away (they fail open, and the database still holds every invariant), and pages render.
After a failure the cache is skipped for RETRY_SECONDS, so a dead Redis costs one refused connection every few
seconds per worker and not one per cache call.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


class ResilientRedisCache(RedisCache):
    """Django's RedisCache; every call answers like a cache miss (or a no-op) while Redis cannot be reached."""

    _down_until = 0.0  # per process: all caches of a worker share one Redis

    def _soft(self, default, method, *args, **kwargs):
        if time.monotonic() < ResilientRedisCache._down_until:
            return default
        try:
            return method(*args, **kwargs)
        except DOWN as error:
            ResilientRedisCache._down_until = time.monotonic() + RETRY_SECONDS
            logger.warning("Redis cache unavailable (%s); serving without it for %.0f s.", error, RETRY_SECONDS)
            return default

    def add(self, key, value, timeout=None, version=None):
        return self._soft(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._soft(default, super().get, key, default, version)

    def set(self, key, value, timeout=None, version=None):
        return self._soft(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._soft(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._soft(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._soft({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._soft(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        result = self._soft(None, super().incr, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return result

    def set_many(self, data, timeout=None, version=None):
        return self._soft(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._soft(None, super().delete_many, keys, version)

    def clear(self):
        return self._soft(False, super().clear)
