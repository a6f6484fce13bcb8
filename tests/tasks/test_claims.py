"""Claiming slots, giving up, expiry, limits, the earnings cap and the hooks verification calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks import exceptions, services
from tasks.models import Claim, Task, TaskPolicy
from tests.factories import make_user
from tests.postgres import require_postgres, run_concurrently

from .conftest import NOW, make_open_task

pytestmark = pytest.mark.django_db


def test_a_resident_claims_a_slot_and_the_window_sets_the_expiry(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    city_task.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    assert claim.expires_at == NOW + timedelta(hours=24)
    assert claim.reward_cents == city_task.reward_cents
    assert city_task.slots_left == 0
    assert city_task.status == Task.Status.FULL


def test_the_claim_never_outlasts_the_deadline(parks, publisher, resident):
    task = make_open_task(department=parks, created_by=publisher, deadline=NOW + timedelta(hours=3))
    claim = services.claim_task(task=task, resident=resident, now=NOW)
    assert claim.expires_at == NOW + timedelta(hours=3)


def test_it_refuses_a_claim_when_the_task_is_full(city_task, resident, neighbour):
    services.claim_task(task=city_task, resident=resident, now=NOW)
    with pytest.raises(exceptions.TaskFull):
        services.claim_task(task=city_task, resident=neighbour, now=NOW)
    assert Claim.objects.count() == 1


def test_it_refuses_claiming_twice(parks, publisher, resident):
    task = make_open_task(department=parks, created_by=publisher, slots=3)
    services.claim_task(task=task, resident=resident, now=NOW)
    with pytest.raises(exceptions.AlreadyClaimed):
        services.claim_task(task=task, resident=resident, now=NOW)
    task.refresh_from_db()
    assert task.slots_left == 2


def test_it_refuses_a_claim_on_a_closed_task(city_task, resident):
    Task.objects.filter(pk=city_task.pk).update(status=Task.Status.CLOSED)
    with pytest.raises(exceptions.TaskNotOpen):
        services.claim_task(task=city_task, resident=resident, now=NOW)
    assert not Claim.objects.exists()


def test_it_refuses_a_claim_after_the_deadline(city_task, resident):
    with pytest.raises(exceptions.TaskPastDeadline):
        services.claim_task(task=city_task, resident=resident, now=city_task.deadline + timedelta(minutes=1))
    assert not Claim.objects.exists()


def test_a_resident_cannot_claim_their_own_peer_task(resident):
    task = make_open_task(poster=resident, category="neighbour-help")
    with pytest.raises(exceptions.OwnTask):
        services.claim_task(task=task, resident=resident, now=NOW)
    assert not Claim.objects.exists()


def test_giving_up_returns_the_slot_and_opens_a_full_task(city_task, resident, neighbour):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    services.give_up_claim(claim=claim, resident=resident, now=NOW + timedelta(hours=1))
    city_task.refresh_from_db()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.GIVEN_UP
    assert (city_task.status, city_task.slots_left) == (Task.Status.OPEN, 1)
    services.claim_task(task=city_task, resident=neighbour, now=NOW + timedelta(hours=1))


def test_nobody_else_can_give_up_a_claim(city_task, resident, neighbour):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    with pytest.raises(exceptions.InvalidClaimState):
        services.give_up_claim(claim=claim, resident=neighbour, now=NOW)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE


def test_an_expired_claim_frees_its_slot_when_someone_else_claims(city_task, resident, neighbour):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    later = NOW + timedelta(hours=25)
    services.claim_task(task=city_task, resident=neighbour, now=later)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.EXPIRED


def test_the_sweep_expires_claims_once(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    later = NOW + timedelta(hours=25)
    assert services.expire_due_claims(now=later) == 1
    assert services.expire_due_claims(now=later) == 0
    claim.refresh_from_db()
    city_task.refresh_from_db()
    assert claim.status == Claim.Status.EXPIRED
    assert city_task.slots_left == 1


def test_the_active_claim_limit_is_enforced(parks, publisher, resident):
    TaskPolicy.objects.update(max_active_claims=2)
    tasks = [make_open_task(department=parks, created_by=publisher) for _ in range(3)]
    services.claim_task(task=tasks[0], resident=resident, now=NOW)
    services.claim_task(task=tasks[1], resident=resident, now=NOW)
    with pytest.raises(exceptions.ClaimLimitReached):
        services.claim_task(task=tasks[2], resident=resident, now=NOW)
    assert Claim.objects.filter(resident=resident).count() == 2


def test_the_earnings_cap_warns_at_80_percent_and_blocks_at_100(parks, publisher, resident):
    TaskPolicy.objects.update(yearly_earnings_cap_cents=1000, max_active_claims=10)
    first = make_open_task(department=parks, created_by=publisher, reward_cents=800)
    claim = services.claim_task(task=first, resident=resident, now=NOW)
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPROVED, ended_at=NOW)
    status = services.earnings_status(resident=resident, now=NOW)
    assert status.warns() and not status.blocks(200)
    too_much = make_open_task(department=parks, created_by=publisher, reward_cents=300)
    with pytest.raises(exceptions.EarningsCapReached):
        services.claim_task(task=too_much, resident=resident, now=NOW)
    assert Claim.objects.filter(resident=resident).count() == 1


def test_last_years_earnings_do_not_count(parks, publisher, resident):
    TaskPolicy.objects.update(yearly_earnings_cap_cents=1000)
    task = make_open_task(department=parks, created_by=publisher, reward_cents=900)
    claim = services.claim_task(task=task, resident=resident, now=NOW)
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPROVED, ended_at=NOW - timedelta(days=365))
    assert services.earnings_status(resident=resident, now=NOW).committed_cents == 0


def test_verification_hooks_walk_a_claim_to_approved(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    services.mark_claim_submitted(claim=claim, now=NOW + timedelta(hours=1))
    assert claim.status == Claim.Status.SUBMITTED
    # A submitted claim does not expire.
    assert services.expire_due_claims(now=NOW + timedelta(days=2)) == 0
    services.complete_claim(claim=claim, now=NOW + timedelta(hours=2))
    city_task.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert city_task.slots_left == 0


def test_requesting_changes_reopens_the_claim_with_a_fresh_window(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    services.mark_claim_submitted(claim=claim, now=NOW + timedelta(hours=23))
    services.reopen_claim_for_changes(claim=claim, now=NOW + timedelta(hours=30))
    assert claim.status == Claim.Status.ACTIVE
    assert claim.expires_at == NOW + timedelta(hours=54)


def test_rejecting_a_claim_returns_its_slot(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    services.mark_claim_submitted(claim=claim, now=NOW)
    services.reject_claim(claim=claim, now=NOW)
    city_task.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    assert (city_task.status, city_task.slots_left) == (Task.Status.OPEN, 1)


def test_submitting_after_the_window_expires_the_claim(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    with pytest.raises(exceptions.ClaimExpired):
        services.mark_claim_submitted(claim=claim, now=NOW + timedelta(hours=25))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.EXPIRED


def test_completing_a_claim_that_was_not_submitted_is_refused(city_task, resident):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    with pytest.raises(exceptions.InvalidClaimState):
        services.complete_claim(claim=claim, now=NOW)


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_claimants_of_a_five_slot_task_get_exactly_five_claims(parks):
    require_postgres()
    publisher = make_user("pub@example.fi", departments=[parks])
    TaskPolicy.objects.update(max_active_claims=5)
    task = make_open_task(department=parks, created_by=publisher, slots=5)
    residents = [make_user(f"claimant{i}@example.fi") for i in range(50)]

    def claim(index):
        return services.claim_task(task=Task.objects.get(pk=task.pk), resident=residents[index], now=NOW)

    results = run_concurrently(50, claim)
    won = [r for r in results if isinstance(r, Claim)]
    lost = [r for r in results if isinstance(r, exceptions.TaskFull)]
    assert len(won) == 5
    assert len(lost) == 45
    task.refresh_from_db()
    assert (task.slots_left, task.status) == (0, Task.Status.FULL)
    assert Claim.objects.filter(task=task).count() == 5


@pytest.mark.django_db(transaction=True)
def test_one_resident_claiming_the_same_task_concurrently_gets_one_claim(parks):
    require_postgres()
    publisher = make_user("pub@example.fi", departments=[parks])
    task = make_open_task(department=parks, created_by=publisher, slots=5)
    resident = make_user("same@example.fi")

    results = run_concurrently(
        8, lambda i: services.claim_task(task=Task.objects.get(pk=task.pk), resident=resident, now=NOW)
    )
    assert len([r for r in results if isinstance(r, Claim)]) == 1
    task.refresh_from_db()
    assert task.slots_left == 4


@pytest.mark.django_db(transaction=True)
def test_one_resident_claiming_many_tasks_at_once_stays_within_the_active_claim_limit(parks):
    require_postgres()
    publisher = make_user("pub@example.fi", departments=[parks])
    TaskPolicy.objects.update(max_active_claims=2)
    tasks = [make_open_task(department=parks, created_by=publisher) for _ in range(6)]
    resident = make_user("busy@example.fi")

    results = run_concurrently(
        6, lambda i: services.claim_task(task=Task.objects.get(pk=tasks[i].pk), resident=resident, now=NOW)
    )
    assert len([r for r in results if isinstance(r, Claim)]) == 2
    assert len([r for r in results if isinstance(r, exceptions.ClaimLimitReached)]) == 4
    assert Claim.objects.filter(resident=resident).count() == 2


def test_a_resident_may_claim_again_after_their_claim_expired_and_no_slot_leaks(parks, publisher, resident):
    task = make_open_task(department=parks, created_by=publisher, slots=2)
    first = services.claim_task(task=task, resident=resident, now=NOW)
    again = services.claim_task(task=task, resident=resident, now=NOW + timedelta(hours=25))
    first.refresh_from_db()
    task.refresh_from_db()
    assert first.status == Claim.Status.EXPIRED
    assert again.status == Claim.Status.ACTIVE
    assert task.slots_left == 1
