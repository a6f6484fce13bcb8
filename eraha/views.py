"""Base views: home, health and readiness, and the friendly error pages."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "home.html")


@never_cache
def healthz(request):
    """The process is up. Touches nothing else, so a load balancer can tell a dead worker from a sick database."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@never_cache
def readiness(request):
    """The database (and Redis, when configured) answer. 503 with the failing part named otherwise."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results = {}
    ready = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log only
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = {"ok": False}
            ready = False
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the error may be the database itself.
    from django.template import loader

    template = loader.get_template("errors/500.html")
    from django.http import HttpResponseServerError

    return HttpResponseServerError(template.render({"request": request}))
