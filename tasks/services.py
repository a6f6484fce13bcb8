"""Every write to the tasks app's tables: screening, publishing (escrow), claims, moderation and sweeps.

Money moves only through wallet.services. The escrow of a task is named by `task.task_key` ("task:<pk>").
Slots are a counter on the task row: claiming is one conditional UPDATE, so under any number of concurrent
claimants exactly as many claims win as there are free slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.utils import timezone

from tasks import exceptions
from tasks.models import Claim, Task, TaskPolicy

S = Task.Status
C = Claim.Status


# --- Slots ---------------------------------------------------------------------------------------


def _release_slot(*, task_id: int) -> None:
    """Gives one slot back to the task; a full task opens again. One UPDATE, safe under concurrency."""
    Task.objects.filter(pk=task_id, slots_left__lt=F("slots")).update(
        slots_left=F("slots_left") + 1,
        status=Case(When(status=S.FULL, then=Value(S.OPEN)), default=F("status")),
    )


def _take_slot(*, task_id: int, now: datetime) -> bool:
    """Takes one free slot if the task is open and before its deadline; True if this caller got it.

    The WHERE clause and the decrement are one statement: PostgreSQL re-checks the row after waiting for a
    concurrent updater, and SQLite serialises writers, so the last slot has exactly one winner.
    """
    updated = Task.objects.filter(pk=task_id, status=S.OPEN, slots_left__gt=0, deadline__gt=now).update(
        slots_left=F("slots_left") - 1,
        status=Case(When(slots_left=1, then=Value(S.FULL)), default=Value(S.OPEN)),
    )
    return updated == 1


# --- Claims --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarningsStatus:
    earned_cents: int
    pending_cents: int
    cap_cents: int
    warning_percent: int

    @property
    def committed_cents(self) -> int:
        return self.earned_cents + self.pending_cents

    def after(self, reward_cents: int) -> int:
        return self.committed_cents + reward_cents

    def blocks(self, reward_cents: int) -> bool:
        return self.after(reward_cents) > self.cap_cents

    def warns(self, reward_cents: int = 0) -> bool:
        return self.after(reward_cents) * 100 >= self.cap_cents * self.warning_percent

    @property
    def percent(self) -> int:
        if self.cap_cents <= 0:
            return 100
        return min(100, self.committed_cents * 100 // self.cap_cents)


def earnings_status(*, resident, now: datetime, policy: TaskPolicy | None = None) -> EarningsStatus:
    """This calendar year's (Helsinki time) approved rewards and the rewards of claims still in progress."""
    policy = policy or TaskPolicy.current()
    local = timezone.localtime(now)
    year_start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = Claim.objects.filter(resident=resident).aggregate(
        earned=Sum("reward_cents", filter=Q(status=C.APPROVED, ended_at__gte=year_start)),
        pending=Sum("reward_cents", filter=Q(status__in=Claim.HOLDING)),
    )
    return EarningsStatus(
        earned_cents=totals["earned"] or 0,
        pending_cents=totals["pending"] or 0,
        cap_cents=policy.yearly_earnings_cap_cents,
        warning_percent=policy.earnings_warning_percent,
    )


def expire_due_claims(*, now: datetime, task_id: int | None = None, resident=None) -> int:
    """Ends active claims whose window has passed and returns their slots. Idempotent; returns the count."""
    due = Claim.objects.filter(status=C.ACTIVE, expires_at__lte=now)
    if task_id is not None:
        due = due.filter(task_id=task_id)
    if resident is not None:
        due = due.filter(resident=resident)
    count = 0
    for claim_id, claim_task_id in due.values_list("pk", "task_id"):
        with transaction.atomic():
            ended = Claim.objects.filter(pk=claim_id, status=C.ACTIVE, expires_at__lte=now).update(
                status=C.EXPIRED, ended_at=now
            )
            if ended:
                _release_slot(task_id=claim_task_id)
                count += 1
    return count


def claim_task(*, task: Task, resident, now: datetime) -> Claim:
    """Claims one slot of the task for the resident.

    Runs inside atomic(). The slot is taken with one conditional UPDATE of the task row (which row-locks it
    on PostgreSQL until commit), so concurrent claimants of the last slot get exactly one winner; the
    claim row is written after that, and a second claim by the same resident is stopped by a unique
    constraint as well as by the check here.
    """
    if task.poster_id is not None and task.poster_id == resident.pk:
        raise exceptions.OwnTask()
    policy = TaskPolicy.current()
    with transaction.atomic():
        if (
            Claim.objects.filter(task=task, resident=resident, status__in=Claim.BLOCKING_RECLAIM)
            .exclude(status=C.ACTIVE, expires_at__lte=now)
            .exists()
        ):
            raise exceptions.AlreadyClaimed()
        active = (
            Claim.objects.filter(resident=resident, status=C.ACTIVE, expires_at__gt=now).count()
            + Claim.objects.filter(resident=resident, status=C.SUBMITTED).count()
        )
        if active >= policy.max_active_claims:
            raise exceptions.ClaimLimitReached()
        earnings = earnings_status(resident=resident, now=now, policy=policy)
        if earnings.blocks(task.reward_cents):
            raise exceptions.EarningsCapReached()
        if not _take_slot(task_id=task.pk, now=now):
            # Claims whose window passed may still hold slots until the sweep runs: free them and retry.
            if expire_due_claims(now=now, task_id=task.pk) and _take_slot(task_id=task.pk, now=now):
                pass
            else:
                _raise_why_not_claimable(task_id=task.pk, now=now)
        # An expired claim by the same resident may still be ACTIVE in the table; end it first.
        Claim.objects.filter(task=task, resident=resident, status=C.ACTIVE, expires_at__lte=now).update(
            status=C.EXPIRED, ended_at=now
        )
        expires_at = min(now + timedelta(hours=task.claim_window_hours), task.deadline)
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    task=task,
                    resident=resident,
                    reward_cents=task.reward_cents,
                    claimed_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError as exc:
            raise exceptions.AlreadyClaimed() from exc
    return claim


def _raise_why_not_claimable(*, task_id: int, now: datetime) -> None:
    task = Task.objects.get(pk=task_id)
    if task.deadline <= now:
        raise exceptions.TaskPastDeadline()
    if task.status == S.FULL or (task.status == S.OPEN and task.slots_left == 0):
        raise exceptions.TaskFull()
    raise exceptions.TaskNotOpen()


def give_up_claim(*, claim: Claim, resident, now: datetime) -> Claim:
    """The resident gives the slot back. Only their own active claim."""
    if claim.resident_id != resident.pk:
        raise exceptions.InvalidClaimState()
    with transaction.atomic():
        updated = Claim.objects.filter(pk=claim.pk, status=C.ACTIVE).update(status=C.GIVEN_UP, ended_at=now)
        if not updated:
            raise exceptions.ClaimNotActive()
        _release_slot(task_id=claim.task_id)
    claim.refresh_from_db()
    return claim


# --- Hooks for verification ------------------------------------------------------------------------


def mark_claim_submitted(*, claim: Claim, now: datetime) -> Claim:
    """Proof was uploaded: the claim stops expiring and waits for a decision.

    Raises ClaimExpired when the window had passed (the slot is then returned), ClaimNotActive otherwise.
    """
    with transaction.atomic():
        updated = Claim.objects.filter(pk=claim.pk, status=C.ACTIVE, expires_at__gt=now).update(
            status=C.SUBMITTED, submitted_at=now
        )
        if not updated:
            current = Claim.objects.get(pk=claim.pk)
            if current.status == C.ACTIVE:
                expire_due_claims(now=now, task_id=claim.task_id)
                raise exceptions.ClaimExpired()
            raise exceptions.ClaimNotActive()
    claim.refresh_from_db()
    return claim


def complete_claim(*, claim: Claim, now: datetime) -> Claim:
    """The proof was approved: the claim is done and its slot stays used.

    Verification pays the reward itself (wallet.services.pay_task_reward with task_key f"task:{task.pk}")
    in the same transaction. The task is closed (and any rest refunded) later by the deadline sweep.
    """
    updated = Claim.objects.filter(pk=claim.pk, status=C.SUBMITTED).update(status=C.APPROVED, ended_at=now)
    if not updated:
        raise exceptions.InvalidClaimState()
    claim.refresh_from_db()
    return claim


def reopen_claim_for_changes(*, claim: Claim, now: datetime) -> Claim:
    """The verifier asked for changes: the claim is active again with a fresh claim window."""
    task = Task.objects.only("claim_window_hours", "deadline").get(pk=claim.task_id)
    expires_at = max(now + timedelta(hours=task.claim_window_hours), now + timedelta(hours=1))
    updated = Claim.objects.filter(pk=claim.pk, status=C.SUBMITTED).update(
        status=C.ACTIVE, expires_at=expires_at, submitted_at=None
    )
    if not updated:
        raise exceptions.InvalidClaimState()
    claim.refresh_from_db()
    return claim


def reject_claim(*, claim: Claim, now: datetime) -> Claim:
    """The proof was rejected for good: the claim ends and its slot (and reward in escrow) is free again."""
    with transaction.atomic():
        updated = Claim.objects.filter(pk=claim.pk, status__in=Claim.HOLDING).update(status=C.REJECTED, ended_at=now)
        if not updated:
            raise exceptions.InvalidClaimState()
        _release_slot(task_id=claim.task_id)
    claim.refresh_from_db()
    return claim
