"""The tasks app's ledger audit checks."""

from __future__ import annotations

import pytest

from tasks import audit, services
from tasks.models import Task
from wallet import services as wallet

from .conftest import NOW
from .test_publishing import city_task, fund

pytestmark = pytest.mark.django_db


def test_the_audit_passes_for_published_claimed_and_cancelled_tasks(parks, publisher, resident):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    services.claim_task(task=task, resident=resident, now=NOW)
    assert audit.check_escrow_covers_claims_in_progress() == []
    services.cancel_task(task=task, actor=publisher, now=NOW)
    assert audit.check_ended_task_escrows_closed() == []


def test_the_audit_finds_an_ended_task_whose_escrow_is_still_open(parks, publisher):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    Task.objects.filter(pk=task.pk).update(status=Task.Status.CLOSED)
    violations = audit.check_ended_task_escrows_closed()
    assert [row["pk"] for row in violations[0].rows] == [task.pk]
    # Put things right so the after-test ledger audit passes.
    wallet.refund_task_escrow(task_key=task.task_key, idempotency_key="t:refund")


def test_the_audit_finds_an_escrow_smaller_than_the_claims_in_progress(parks, publisher, resident):
    fund(parks, 10_000)
    task = city_task(parks, publisher, slots=1)
    services.submit_task(task=task, actor=publisher, now=NOW)
    services.claim_task(task=task, resident=resident, now=NOW)
    wallet.refund_task_escrow(task_key=task.task_key, idempotency_key="t:refund")
    violations = audit.check_escrow_covers_claims_in_progress()
    assert violations[0].rows[0]["pk"] == task.pk
    Task.objects.filter(pk=task.pk).update(status=Task.Status.CLOSED)
