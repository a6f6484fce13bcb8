"""Every write to the tasks app's tables: screening, publishing (escrow), claims, moderation and sweeps.

Money moves only through wallet.services. The escrow of a task is named by `task.task_key` ("task:<pk>").
Slots are a counter on the task row: claiming is one conditional UPDATE, so under any number of concurrent
claimants exactly as many claims win as there are free slots.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tasks import exceptions, rules
from tasks.models import (
    Category,
    Claim,
    MarketRule,
    ScreeningDecision,
    ScreeningOverride,
    Task,
    TaskPolicy,
    TaskTemplate,
)

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

    Runs inside atomic(); locks the resident's user row first (so one resident's concurrent claims are
    counted against the limits one at a time), then takes the slot with one conditional UPDATE of the task
    row (which row-locks it on PostgreSQL until commit), so concurrent claimants of the last slot get
    exactly one winner. A second claim by the same resident is also stopped by a unique constraint.
    """
    if task.poster_id is not None and task.poster_id == resident.pk:
        raise exceptions.OwnTask()
    policy = TaskPolicy.current()
    with transaction.atomic():
        get_user_model().objects.select_for_update().only("pk").get(pk=resident.pk)
        # The resident's own claims whose window passed end first (giving their slots back).
        expire_due_claims(now=now, resident=resident)
        if Claim.objects.filter(task=task, resident=resident, status__in=Claim.BLOCKING_RECLAIM).exists():
            raise exceptions.AlreadyClaimed()
        active = Claim.objects.filter(resident=resident, status__in=Claim.HOLDING).count()
        if active >= policy.max_active_claims:
            raise exceptions.ClaimLimitReached()
        earnings = earnings_status(resident=resident, now=now, policy=policy)
        if earnings.blocks(task.reward_cents):
            raise exceptions.EarningsCapReached()
        if not _take_slot(task_id=task.pk, now=now):
            # Others' claims whose window passed may hold slots until the sweep runs: free them, retry once.
            freed = expire_due_claims(now=now, task_id=task.pk)
            if not (freed and _take_slot(task_id=task.pk, now=now)):
                _raise_why_not_claimable(task_id=task.pk, now=now)
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
    updated = Claim.objects.filter(pk=claim.pk, status=C.ACTIVE, expires_at__gt=now).update(
        status=C.SUBMITTED, submitted_at=now
    )
    if not updated:
        if Claim.objects.filter(pk=claim.pk, status=C.ACTIVE).exists():
            # If the caller rolls back, the sweep (or the next read) expires it instead.
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
    task = Task.objects.only("claim_window_hours").get(pk=claim.task_id)
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


# --- Screening -------------------------------------------------------------------------------------


def category_info(category: Category) -> rules.CategoryInfo:
    return rules.CategoryInfo(
        slug=category.slug,
        names={"fi": category.name_fi, "sv": category.name_sv, "en": category.name_en},
        reward_ceiling_cents=category.reward_ceiling_cents,
        allows_city=category.allows_city(),
        allows_residents=category.allows_residents(),
        blocked=category.blocked,
        blocked_reasons={
            "fi": category.blocked_reason_fi,
            "sv": category.blocked_reason_sv,
            "en": category.blocked_reason_en,
        },
    )


def current_rule_set() -> rules.RuleSet:
    """The active rule set as the pure engine's input (two queries)."""
    policy = TaskPolicy.current()
    phrase_rules = []
    for rule in MarketRule.objects.filter(active=True).prefetch_related("allowed_categories").order_by("code"):
        phrase_rules.append(
            rules.PhraseRule(
                code=rule.code,
                kind=rule.kind,
                language=rule.language,
                action=rule.action,
                applies_to=rule.applies_to,
                allowed_categories=frozenset(category.slug for category in rule.allowed_categories.all()),
                phrases=rules.parse_phrases(rule.phrases),
                reasons={"fi": rule.reason_fi, "sv": rule.reason_sv, "en": rule.reason_en},
            )
        )
    return rules.RuleSet(
        phrase_rules=tuple(phrase_rules),
        max_open_peer_tasks=policy.max_open_peer_tasks,
        max_peer_tasks_per_month=policy.max_peer_tasks_per_month,
    )


def build_draft(
    *,
    category: Category,
    title: str,
    description: str,
    reward_cents: int,
    poster=None,
    now: datetime,
    exclude_task_id: int | None = None,
) -> rules.Draft:
    """The engine's input for a task; `poster` is the resident of a peer task (None for city tasks)."""
    open_count = month_count = 0
    if poster is not None:
        own = Task.objects.filter(poster=poster).exclude(pk=exclude_task_id)
        open_count = own.filter(status__in=[S.OPEN, S.FULL, S.SCREENING]).count()
        month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        month_count = own.filter(created_at__gte=month_start).exclude(status__in=[S.DRAFT, S.BLOCKED]).count()
    return rules.Draft(
        title=title,
        description=description,
        category=category_info(category),
        reward_cents=reward_cents,
        poster_kind=rules.PEER if poster is not None else rules.CITY,
        open_peer_tasks=open_count,
        peer_tasks_this_month=month_count,
    )


def preview_screening(**draft_fields) -> rules.Decision:
    """Screens without writing anything (live feedback while a poster types)."""
    return rules.screen(build_draft(**draft_fields), current_rule_set())


def _screen_task(*, task: Task, now: datetime, rule_set: rules.RuleSet | None = None) -> ScreeningDecision:
    draft = build_draft(
        category=task.category,
        title=task.title,
        description=task.description,
        reward_cents=task.reward_cents,
        poster=task.poster if task.is_peer else None,
        now=now,
        exclude_task_id=task.pk,
    )
    decision = rules.screen(draft, rule_set or current_rule_set())
    return ScreeningDecision.objects.create(
        task=task,
        created_at=now,
        outcome=decision.outcome,
        inputs=draft.as_inputs(),
        fired_rules=[fired.as_json() for fired in decision.fired],
        resolution=ScreeningDecision.Resolution.PENDING if decision.outcome == rules.REVIEW else "",
    )


# --- Creating, publishing, cancelling -------------------------------------------------------------

TASK_FIELDS = (
    "category",
    "title",
    "description",
    "address",
    "latitude",
    "longitude",
    "reward_cents",
    "slots",
    "claim_window_hours",
    "deadline",
    "photo_count",
    "before_after",
    "taken_after_claim",
    "max_distance_m",
)


def _check_task_values(*, values: dict, now: datetime) -> None:
    """Bad input the forms also catch; repeated here so no caller can write a broken task."""
    if values["deadline"] <= now:
        raise exceptions.InvalidTaskState(_("The deadline must be in the future."))
    if values["slots"] < 1:
        raise exceptions.InvalidTaskState(_("A task needs at least one slot."))
    if values["reward_cents"] <= 0:
        raise exceptions.InvalidTaskState(_("The reward must be more than zero."))
    if values["reward_cents"] > values["category"].reward_ceiling_cents:
        raise exceptions.InvalidTaskState(_("The reward is above the ceiling of the category."))


def create_task(*, created_by, now: datetime, department=None, poster=None, template=None, **values) -> Task:
    """Creates a draft city task (department) or peer task (poster). Nothing is screened or funded yet."""
    if (department is None) == (poster is None):
        raise ValueError("A task has exactly one poster: a department or a resident.")
    _check_task_values(values=values, now=now)
    return Task.objects.create(
        kind=Task.Kind.CITY if department is not None else Task.Kind.PEER,
        department=department,
        poster=poster,
        created_by=created_by,
        template=template,
        slots_left=values["slots"],
        status=S.DRAFT,
        **values,
    )


def update_task(*, task: Task, now: datetime, **values) -> Task:
    """Edits a task that holds no money yet (draft, waiting for review, blocked); it goes back to draft."""
    _check_task_values(values={**{f: getattr(task, f) for f in TASK_FIELDS}, **values}, now=now)
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status not in {S.DRAFT, S.SCREENING, S.BLOCKED} or locked.escrow_funded:
            raise exceptions.InvalidTaskState(_("Only tasks that are not published yet can be edited."))
        for name, value in values.items():
            setattr(locked, name, value)
        locked.slots_left = locked.slots
        locked.status = S.DRAFT
        locked.save(update_fields=[*values.keys(), "slots_left", "status", "updated_at"])
        # A pending review of the old text is settled: the new text is screened again when submitted.
        ScreeningDecision.objects.filter(task=locked, resolution=ScreeningDecision.Resolution.PENDING).update(
            resolution=ScreeningDecision.Resolution.NONE
        )
    return locked


def submit_task(*, task: Task, actor, now: datetime) -> ScreeningDecision:
    """Screens the task and acts on the outcome: allow → fund the escrow and open; review → wait for staff;
    block → blocked. Raises FundsShort (and writes nothing) when the budget or wallet is short."""
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, status__in=[S.DRAFT, S.BLOCKED]).update(status=S.SCREENING)
        if not updated:
            raise exceptions.InvalidTaskState()
        task.refresh_from_db()
        decision = _screen_task(task=task, now=now)
        if decision.outcome == rules.ALLOW:
            _fund_and_open(task=task, actor=actor, now=now)
        elif decision.outcome == rules.BLOCK:
            Task.objects.filter(pk=task.pk).update(status=S.BLOCKED)
        if decision.outcome != rules.ALLOW:
            _tell_poster(task=task, blocked=decision.outcome == rules.BLOCK, decision=decision)
    task.refresh_from_db()
    return decision


def _tell_poster(*, task: Task, blocked: bool, decision: ScreeningDecision, staff_reason: str = "") -> None:
    """A notice to whoever posted the task (the resident, or the staff member for a city task) that it
    was blocked, with the reason in their language, or sent to review. Sent when the caller commits."""
    from notifications.kinds import Kind
    from notifications.services import notify

    recipient = task.poster if task.poster_id else task.created_by
    link = reverse("tasks:detail", args=[task.pk])
    if not blocked:
        notify(recipient=recipient, kind=Kind.TASK_IN_REVIEW, params={"task": task.title}, link=link)
        return
    reason = staff_reason or " ".join(decision.reasons(recipient.preferred_language))
    notify(recipient=recipient, kind=Kind.TASK_BLOCKED, params={"task": task.title, "reason": reason}, link=link)


def _fund_and_open(*, task: Task, actor, now: datetime) -> None:
    """Moves reward × slots into the task's escrow and opens it. Runs inside the caller's atomic()."""
    from wallet import exceptions as wallet_exceptions
    from wallet import services as wallet

    source = {"department": task.department} if task.is_city else {"poster": task.poster}
    try:
        wallet.fund_task_escrow(
            task_key=task.task_key,
            amount=task.escrow_total_cents,
            idempotency_key=f"{task.task_key}:fund",
            actor=actor,
            **source,
        )
    except wallet_exceptions.InsufficientFunds as exc:
        if task.is_city:
            raise exceptions.FundsShort(_("The department's budget is too small for this task.")) from exc
        raise exceptions.FundsShort(_("Your wallet does not have enough eRaha for this task.")) from exc
    updated = Task.objects.filter(pk=task.pk, status=S.SCREENING, escrow_funded=False).update(
        status=S.OPEN, escrow_funded=True, published_at=now
    )
    if not updated:
        raise exceptions.InvalidTaskState()


def _end_task(*, task: Task, actor, now: datetime, status: str) -> Task:
    """Cancels or closes a task: active claims end, and what is left in escrow goes back where it came from.

    Locks the task row first. Refused while proofs wait for a decision, because their rewards are still owed.
    """
    from wallet import services as wallet

    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status in {S.CLOSED, S.CANCELLED}:
            raise exceptions.InvalidTaskState(_("The task has already ended."))
        if locked.claims.filter(status=C.SUBMITTED).exists():
            raise exceptions.InvalidTaskState(
                _("Proofs of this task wait for a decision. The task can end once they are decided.")
            )
        locked.claims.filter(status=C.ACTIVE).update(status=C.CANCELLED, ended_at=now)
        Task.objects.filter(pk=locked.pk).update(status=status, closed_at=now, slots_left=0)
        ScreeningDecision.objects.filter(task=locked, resolution=ScreeningDecision.Resolution.PENDING).update(
            resolution=ScreeningDecision.Resolution.NONE
        )
        if locked.escrow_funded:
            wallet.refund_task_escrow(
                task_key=locked.task_key, idempotency_key=f"{locked.task_key}:refund", actor=actor
            )
    locked.refresh_from_db()
    return locked


def cancel_task(*, task: Task, actor, now: datetime) -> Task:
    return _end_task(task=task, actor=actor, now=now, status=S.CANCELLED)


def close_task(*, task: Task, actor=None, now: datetime) -> Task:
    return _end_task(task=task, actor=actor, now=now, status=S.CLOSED)


# --- Moderation -----------------------------------------------------------------------------------


def moderate(*, decision: ScreeningDecision, actor, outcome: str, reason: str, now: datetime) -> ScreeningOverride:
    """A staff member settles a screening decision: `allow` publishes (and funds) the task, `block` blocks it.

    A written reason is required and kept in the audit trail. Works on a pending review and also overrides
    a block (or an allow: an open task can then be stopped with cancel_task).
    """
    reason = reason.strip()
    if not reason:
        raise exceptions.TaskError(_("Write a reason for the decision."))
    if outcome not in {rules.ALLOW, rules.BLOCK}:
        raise ValueError(outcome)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=decision.task_id)
        latest = task.screenings.order_by("-created_at", "-pk").first()
        if latest is None or latest.pk != decision.pk:
            raise exceptions.InvalidTaskState(_("The task has been screened again since. Open the latest decision."))
        if task.status not in {S.SCREENING, S.BLOCKED}:
            raise exceptions.InvalidTaskState()
        override = ScreeningOverride.objects.create(
            decision=decision,
            task=task,
            actor=actor,
            created_at=now,
            outcome_before=decision.outcome if decision.resolution != "blocked" else rules.BLOCK,
            outcome_after=outcome,
            reason=reason,
        )
        ScreeningDecision.objects.filter(pk=decision.pk).update(
            resolution=ScreeningDecision.Resolution.APPROVED
            if outcome == rules.ALLOW
            else ScreeningDecision.Resolution.BLOCKED,
            resolved_at=now,
            resolved_by=actor,
            staff_reason=reason,
        )
        if outcome == rules.ALLOW:
            Task.objects.filter(pk=task.pk).update(status=S.SCREENING)
            task.refresh_from_db()
            _fund_and_open(task=task, actor=actor, now=now)
        else:
            Task.objects.filter(pk=task.pk).update(status=S.BLOCKED)
            _tell_poster(task=task, blocked=True, decision=decision, staff_reason=reason)
    return override


# --- Templates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRow:
    number: int
    name: str
    address: str
    latitude: Decimal
    longitude: Decimal


def parse_place_rows(text: str) -> list[PlaceRow]:
    """Parses CSV rows `name, address, latitude, longitude` (a header row is skipped).

    All or nothing: raises TemplateRowsInvalid listing every bad row number.
    """
    rows, errors = [], []
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if number == 1 and cells[0].casefold() in {"name", "nimi", "namn"}:
            continue
        if len(cells) != 4:
            errors.append(
                (
                    number,
                    _("Expected 4 columns (name, address, latitude, longitude), got %(count)s.")
                    % {"count": len(cells)},
                )
            )
            continue
        name, address, lat_text, lon_text = cells
        if not name:
            errors.append((number, _("The name is missing.")))
            continue
        try:
            latitude = Decimal(lat_text.replace(",", "."))
            longitude = Decimal(lon_text.replace(",", "."))
        except InvalidOperation:
            errors.append((number, _("Latitude and longitude must be numbers.")))
            continue
        if not (-90 <= latitude <= 90) or not (-180 <= longitude <= 180):
            errors.append((number, _("The coordinates are out of range.")))
            continue
        rows.append(
            PlaceRow(
                number=number,
                name=name[:80],
                address=address[:200],
                latitude=latitude.quantize(Decimal("0.000001")),
                longitude=longitude.quantize(Decimal("0.000001")),
            )
        )
    if not rows and not errors:
        errors.append((0, _("No rows were given.")))
    if errors:
        raise exceptions.TemplateRowsInvalid(errors)
    return rows


@dataclass(frozen=True)
class TemplatePreview:
    rows: list[PlaceRow]
    decisions: list[rules.Decision]
    cost_per_task_cents: int
    total_cost_cents: int
    budget_cents: int

    @property
    def fits_budget(self) -> bool:
        return self.total_cost_cents <= self.budget_cents

    @property
    def blocked_rows(self) -> list[tuple[int, list[str]]]:
        return [
            (row.number, decision.reasons(get_language() or "fi"))
            for row, decision in zip(self.rows, self.decisions, strict=True)
            if decision.outcome == rules.BLOCK
        ]


def template_title(template: TaskTemplate, place_name: str) -> str:
    title = template.title.replace("{place}", place_name)
    if "{place}" not in template.title:
        title = f"{title}: {place_name}"
    return title[:120]


def preview_template(*, template: TaskTemplate, rows: list[PlaceRow], now: datetime) -> TemplatePreview:
    """Screens every row and prices the batch against the department's budget. Writes nothing."""
    from wallet import services as wallet

    rule_set = current_rule_set()
    decisions = [
        rules.screen(
            build_draft(
                category=template.category,
                title=template_title(template, row.name),
                description=template.description,
                reward_cents=template.reward_cents,
                now=now,
            ),
            rule_set,
        )
        for row in rows
    ]
    per_task = template.reward_cents * template.slots
    return TemplatePreview(
        rows=rows,
        decisions=decisions,
        cost_per_task_cents=per_task,
        total_cost_cents=per_task * len(rows),
        budget_cents=wallet.department_balance(department=template.department),
    )


def create_tasks_from_template(*, template: TaskTemplate, rows: list[PlaceRow], actor, now: datetime) -> list[Task]:
    """Creates, screens and funds one task per place, all in one transaction: one bad row publishes nothing.

    Rows the rules block are reported with their numbers (TemplateRowsInvalid); a short budget raises
    FundsShort. Rows sent to review wait for staff unfunded; the rest open at once.
    """
    preview = preview_template(template=template, rows=rows, now=now)
    if preview.blocked_rows:
        raise exceptions.TemplateRowsInvalid(
            [(number, " ".join(reasons)) for number, reasons in preview.blocked_rows],
            _("The market-protection rules block some rows. Nothing was published."),
        )
    if not preview.fits_budget:
        raise exceptions.FundsShort(_("The department's budget is too small for these tasks."))
    deadline = now + timedelta(days=template.days_open)
    rule_set = current_rule_set()
    created = []
    with transaction.atomic():
        for row in rows:
            task = create_task(
                created_by=actor,
                now=now,
                department=template.department,
                template=template,
                category=template.category,
                title=template_title(template, row.name),
                description=template.description,
                address=row.address,
                latitude=row.latitude,
                longitude=row.longitude,
                reward_cents=template.reward_cents,
                slots=template.slots,
                claim_window_hours=template.claim_window_hours,
                deadline=deadline,
                photo_count=template.photo_count,
                before_after=template.before_after,
                taken_after_claim=template.taken_after_claim,
                max_distance_m=template.max_distance_m,
            )
            Task.objects.filter(pk=task.pk).update(status=S.SCREENING)
            task.refresh_from_db()
            decision = _screen_task(task=task, now=now, rule_set=rule_set)
            if decision.outcome == rules.ALLOW:
                _fund_and_open(task=task, actor=actor, now=now)
            task.refresh_from_db()
            created.append(task)
    return created


# --- Sweep ----------------------------------------------------------------------------------------


CLAIM_WARNING = timedelta(hours=2)


def warn_expiring_claims(*, now: datetime) -> int:
    """Tells each resident once (notice and e-mail) when an active claim without a proof ends within
    CLAIM_WARNING. Idempotent: the notice is keyed by the claim. Returns how many residents it told now."""
    from notifications.kinds import Kind
    from notifications.services import notify

    soon = Claim.objects.select_related("task", "resident").filter(
        status=Claim.Status.ACTIVE, expires_at__gt=now, expires_at__lte=now + CLAIM_WARNING
    )
    from notifications.selectors import sent_keys

    claims = list(soon)
    already = sent_keys([f"claim-expiring:{claim.pk}" for claim in claims])
    count = 0
    for claim in claims:
        if f"claim-expiring:{claim.pk}" in already:
            continue
        with transaction.atomic():
            notify(
                recipient=claim.resident,
                kind=Kind.CLAIM_EXPIRING,
                params={"task": claim.task.title, "expires_at": claim.expires_at},
                link=reverse("tasks:detail", args=[claim.task_id]),
                key=f"claim-expiring:{claim.pk}",
            )
        count += 1
    return count


def sweep(*, now: datetime) -> int:
    """run_sweeps: expires claims whose window passed, closes tasks past their deadline and refunds them.

    Idempotent. A task with claims still in progress is closed by a later run.
    """
    count = expire_due_claims(now=now)
    count += warn_expiring_claims(now=now)
    # Claims still in progress (a proof waiting, or a claim reopened for changes) keep the task open.
    due = Task.objects.filter(status__in=[S.OPEN, S.FULL, S.SCREENING], deadline__lte=now).exclude(
        claims__status__in=Claim.HOLDING
    )
    for task in due.only("pk"):
        try:
            close_task(task=task, now=now)
        except exceptions.InvalidTaskState:
            continue  # ended meanwhile or a proof arrived: the next run looks again
        count += 1
    return count


def save_template(*, actor, values: dict, template: TaskTemplate | None = None) -> TaskTemplate:
    """Creates or updates a task template of one of the actor's departments (checked by the caller)."""
    if template is None:
        return TaskTemplate.objects.create(created_by=actor, **values)
    for name, value in values.items():
        setattr(template, name, value)
    template.save(update_fields=list(values))
    return template
