"""Helpers for the PostgreSQL-only concurrency tests (real threads and a barrier)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

postgres_only = pytest.mark.postgres


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (CI always does)")


def run_concurrently(count: int, work: Callable[[int], object], timeout: float = 60) -> list[object]:
    """Runs work(i) in `count` threads that start together; returns results or raised exceptions."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = work(index)
        except BaseException as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
