"""Concurrent approve clicks and queue locks with real threads on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from people import roles
from tests.factories import make_user
from tests.postgres import require_postgres, run_concurrently
from tests.verification import helpers
from tests.verification.helpers import NOW
from verification import services
from verification.exceptions import AlreadyDecided, LockedByOther
from verification.models import Decision, Proof, QueueLock
from wallet.models import Transaction
from wallet.services import wallet_balance

LATER = NOW + dt.timedelta(hours=3)


def _queued_proof(parks):
    publisher = make_user(role=roles.PUBLISHER, departments=[parks])
    resident = make_user()
    task = helpers.city_task(department=parks, creator=publisher)
    claim = helpers.claim(task, resident)
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="c", now=LATER
    )
    assert proof.status == Proof.Status.QUEUED
    return proof, resident


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approve_clicks_pay_exactly_once(parks):
    require_postgres()
    proof, resident = _queued_proof(parks)
    verifiers = [make_user(role=roles.VERIFIER, departments=[parks]) for _ in range(6)]

    def click(index):
        fresh = Proof.objects.get(pk=proof.pk)
        return services.approve_proof(
            proof=fresh, actor=None if index == 0 else verifiers[index], how="human", now=LATER
        )

    results = run_concurrently(6, click)
    decisions = [r for r in results if isinstance(r, Decision)]
    refused = [r for r in results if isinstance(r, AlreadyDecided | LockedByOther)]
    assert len(decisions) == 1, results
    assert len(refused) == 5, results
    assert wallet_balance(user=resident) == 500
    assert Transaction.objects.filter(idempotency_key=f"proof:{proof.pk}:reward").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_opening_the_queue_at_once_get_different_proofs_or_none(parks):
    require_postgres()
    proof, _ = _queued_proof(parks)
    verifiers = [make_user(role=roles.VERIFIER, departments=[parks]) for _ in range(2)]

    def open_next(index):
        return services.open_next(verifier=verifiers[index], department_id=None, now=LATER)

    results = run_concurrently(2, open_next)
    opened = [r for r in results if isinstance(r, Proof)]
    assert len(opened) == 1 and opened[0].pk == proof.pk, results
    assert results.count(None) == 1
    assert QueueLock.objects.count() == 1
    other = next(v for v in verifiers if v != QueueLock.objects.get().verifier)
    with pytest.raises(LockedByOther):
        services.open_proof(proof=proof, verifier=other, now=LATER)
