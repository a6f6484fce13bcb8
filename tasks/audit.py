"""Ledger audit checks owned by the tasks app (registered in settings.LEDGER_AUDIT_CHECKS).

- A funded task that has ended (closed or cancelled) has its escrow closed: everything left went back.
- An open or full task's escrow holds at least the rewards of the claims still in progress.
"""

from __future__ import annotations

from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

from tasks.models import Claim, Task
from wallet.audit import Violation
from wallet.models import Account, AccountKind


def _with_key(queryset):
    return queryset.annotate(escrow_key=Concat(Value("task:"), Cast("pk", CharField()), output_field=CharField()))


def check_ended_task_escrows_closed() -> list[Violation]:
    open_escrow = Account.objects.filter(kind=AccountKind.ESCROW.value, owner_key=OuterRef("escrow_key"), closed=False)
    bad = list(
        _with_key(Task.objects.filter(escrow_funded=True, status__in=[Task.Status.CLOSED, Task.Status.CANCELLED]))
        .filter(Exists(open_escrow))
        .values("pk", "status")
    )
    return [Violation("ended_task_escrows_closed", "Ended tasks whose escrow is still open.", bad)] if bad else []


def check_escrow_covers_claims_in_progress() -> list[Violation]:
    balance = Account.objects.filter(kind=AccountKind.ESCROW.value, owner_key=OuterRef("escrow_key")).annotate(
        balance=F("credits_posted") - F("debits_posted")
    )
    bad = list(
        _with_key(Task.objects.filter(escrow_funded=True, status__in=[Task.Status.OPEN, Task.Status.FULL]))
        .annotate(
            escrow=Coalesce(Subquery(balance.values("balance")[:1], output_field=IntegerField()), 0),
            holding=Count("claims", filter=Q(claims__status__in=Claim.HOLDING)),
        )
        .filter(escrow__lt=F("reward_cents") * F("holding"))
        .values("pk", "escrow", "holding", "reward_cents")
    )
    return (
        [Violation("escrow_covers_claims", "Task escrows smaller than the rewards of claims in progress.", bad)]
        if bad
        else []
    )
