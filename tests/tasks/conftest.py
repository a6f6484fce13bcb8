"""Fixtures for the tasks tests: the default categories come from the data migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasks.models import Category, Task

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def make_open_task(
    *,
    department=None,
    poster=None,
    created_by=None,
    slots=1,
    reward_cents=500,
    category="litter",
    deadline=None,
    claim_window_hours=24,
    title="Roskien keräys Vuoksen rannalla",
    **fields,
) -> Task:
    """An open task written straight to the table (no escrow): for claim tests that do not touch money."""
    kind = Task.Kind.CITY if department is not None else Task.Kind.PEER
    return Task.objects.create(
        kind=kind,
        department=department,
        poster=poster,
        created_by=created_by or poster,
        category=Category.objects.get(slug=category),
        title=title,
        description="Kerää roskat rannalta.",
        reward_cents=reward_cents,
        slots=slots,
        slots_left=slots,
        claim_window_hours=claim_window_hours,
        deadline=deadline or NOW + timedelta(days=7),
        status=Task.Status.OPEN,
        published_at=NOW - timedelta(hours=1),
        latitude=fields.pop("latitude", "61.191000"),
        longitude=fields.pop("longitude", "28.776000"),
        **fields,
    )


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def city_task(publisher, parks):
    return make_open_task(department=parks, created_by=publisher)


@pytest.fixture(autouse=True)
def default_rules(request):
    """The data migration installs these; transactional tests flush them, so install again (idempotent)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        marker = request.node.get_closest_marker("django_db")
        if marker is None:
            return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    from tasks.defaults import install
    from tasks.models import MarketRule, TaskPolicy

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.fixture(autouse=True)
def _no_list_cache(settings):
    """The list page caches its results for a few seconds; tests see every change at once."""
    settings.TASKS_LIST_CACHE_SECONDS = 0
