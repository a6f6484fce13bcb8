"""Categories, market-protection rules, task templates, tasks, claims, screening decisions and overrides.

Amounts are integer cents of eRaha. State changes go through tasks.services (conditional updates); nothing
here has business logic in save().
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from people.models import Department


def _in_language(obj, prefix: str, language: str | None = None) -> str:
    language = (language or get_language() or "fi")[:2]
    return getattr(obj, f"{prefix}_{language}", "") or getattr(obj, f"{prefix}_fi", "")


class Category(models.Model):
    """What kind of work a task is; who may post in it, the highest reward and the proof defaults."""

    class Posters(models.TextChoices):
        CITY = "city", _("City only")
        RESIDENTS = "residents", _("Residents only")
        BOTH = "both", _("City and residents")

    slug = models.SlugField(_("identifier"), unique=True)
    name_fi = models.CharField(_("name in Finnish"), max_length=80)
    name_sv = models.CharField(_("name in Swedish"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80)
    posters = models.CharField(_("who may post"), max_length=10, choices=Posters.choices, default=Posters.BOTH)
    reward_ceiling_cents = models.BigIntegerField(_("reward ceiling (cents)"), default=5000)
    blocked = models.BooleanField(
        _("blocked"), default=False, help_text=_("No task may be posted in a blocked category.")
    )
    blocked_reason_fi = models.TextField(_("public reason for blocking, Finnish"), blank=True)
    blocked_reason_sv = models.TextField(_("public reason for blocking, Swedish"), blank=True)
    blocked_reason_en = models.TextField(_("public reason for blocking, English"), blank=True)
    default_photo_count = models.PositiveSmallIntegerField(_("photos by default"), default=1)
    default_before_after = models.BooleanField(_("before/after pair by default"), default=False)
    default_taken_after_claim = models.BooleanField(_("photos taken after the claim by default"), default=True)
    default_max_distance_m = models.PositiveIntegerField(
        _("maximum distance by default (metres)"), null=True, blank=True
    )
    allows_auto_approval = models.BooleanField(
        _("allows automatic approval"), default=True, help_text=_("Low-risk proofs may be approved without a person.")
    )
    photo_optional_for_peer = models.BooleanField(
        _("photo optional for peer tasks"), default=False, help_text=_("The poster confirms the work themselves.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        ordering = ["position", "name_fi"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(reward_ceiling_cents__gte=0), name="tasks_category_ceiling_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self, "name")

    def blocked_reason(self, language: str | None = None) -> str:
        return _in_language(self, "blocked_reason", language)

    def allows_city(self) -> bool:
        return self.posters in {self.Posters.CITY, self.Posters.BOTH}

    def allows_residents(self) -> bool:
        return self.posters in {self.Posters.RESIDENTS, self.Posters.BOTH}


class MarketRule(models.Model):
    """A phrase rule of the market-protection rule set: stems in one language (or all) and what they cause.

    Patterns are whitespace-separated words; a word ending in `*` matches every word starting with the stem
    (`siivo*` matches siivous, siivoamaan), and compounds (`ikkunanpesu*`) are matched inside longer words
    too (see tasks.rules). `allowed_categories` lists categories where the phrase is fine (cleaning tools in
    a city litter task).
    """

    class Kind(models.TextChoices):
        PHRASE = "phrase", _("Paid-service phrase")
        RECURRING = "recurring", _("Recurring job (peer tasks)")

    class Action(models.TextChoices):
        REVIEW = "review", _("Send to review")
        BLOCK = "block", _("Block")

    class Applies(models.TextChoices):
        ALL = "all", _("All tasks")
        PEER = "peer", _("Peer tasks only")
        CITY = "city", _("City tasks only")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PHRASE)
    language = models.CharField(
        _("language"), max_length=5, blank=True, help_text=_("Empty: the phrases are checked in every language.")
    )
    phrases = models.TextField(_("phrases"), help_text=_("One phrase a line; end a word with * to match its stem."))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, default=Action.BLOCK)
    applies_to = models.CharField(_("applies to"), max_length=5, choices=Applies.choices, default=Applies.ALL)
    allowed_categories = models.ManyToManyField(
        Category, verbose_name=_("categories where allowed"), blank=True, related_name="+"
    )
    reason_fi = models.TextField(_("reason in Finnish"))
    reason_sv = models.TextField(_("reason in Swedish"))
    reason_en = models.TextField(_("reason in English"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("market-protection rule")
        verbose_name_plural = _("market-protection rules")

    def __str__(self) -> str:
        return self.code

    def reason(self, language: str | None = None) -> str:
        return _in_language(self, "reason", language)


class TaskPolicy(models.Model):
    """The city's limits for posting and claiming: one row, edited in the admin."""

    max_open_peer_tasks = models.PositiveSmallIntegerField(_("open peer tasks per resident at once"), default=3)
    max_peer_tasks_per_month = models.PositiveSmallIntegerField(_("peer tasks per resident per month"), default=5)
    max_active_claims = models.PositiveSmallIntegerField(_("active claims per resident"), default=3)
    yearly_earnings_cap_cents = models.BigIntegerField(
        _("yearly earnings cap per resident (cents)"),
        default=150_000,
        help_text=_("Volunteer-allowance rules elsewhere use EUR 1,500 a year."),
    )
    earnings_warning_percent = models.PositiveSmallIntegerField(_("warn at this share of the cap (%)"), default=80)
    max_slots = models.PositiveSmallIntegerField(_("slots per task at most"), default=50)

    class Meta:
        verbose_name = _("task policy")
        verbose_name_plural = _("task policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(earnings_warning_percent__lte=100), name="tasks_policy_warning_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Task policy"))

    @classmethod
    def current(cls) -> TaskPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls()


class ProofRequirements(models.Model):
    """Proof fields shared by templates and tasks."""

    photo_count = models.PositiveSmallIntegerField(_("photos required"), default=1)
    before_after = models.BooleanField(_("before and after photos"), default=False)
    taken_after_claim = models.BooleanField(_("photos taken after claiming"), default=True)
    max_distance_m = models.PositiveIntegerField(_("maximum distance from the place (metres)"), null=True, blank=True)

    class Meta:
        abstract = True


class TaskTemplate(ProofRequirements):
    """A city task filled in once; a publisher creates tasks from it for many places at once."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="task_templates")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="templates")
    name = models.CharField(_("template name"), max_length=120)
    title = models.CharField(_("title"), max_length=120, help_text=_("{place} is replaced by the place's name."))
    description = models.TextField(_("description"))
    reward_cents = models.BigIntegerField(_("reward (cents)"))
    slots = models.PositiveSmallIntegerField(_("slots"), default=1)
    claim_window_hours = models.PositiveSmallIntegerField(_("claim window (hours)"), default=24)
    days_open = models.PositiveSmallIntegerField(_("days open"), default=14)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")
        constraints = [
            models.CheckConstraint(condition=Q(reward_cents__gt=0), name="tasks_template_reward_positive"),
            models.CheckConstraint(condition=Q(slots__gt=0), name="tasks_template_slots_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Task(ProofRequirements):
    """A city task (posted by a department) or a peer task (posted by a resident)."""

    class Kind(models.TextChoices):
        CITY = "city", _("City task")
        PEER = "peer", _("Neighbour task")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCREENING = "screening", _("Waiting for review")
        BLOCKED = "blocked", _("Blocked")
        OPEN = "open", _("Open")
        FULL = "full", _("Full")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("department")
    )
    poster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posted_tasks",
        verbose_name=_("poster"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("category"))
    template = models.ForeignKey(TaskTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    reward_cents = models.BigIntegerField(_("reward (cents)"))
    slots = models.PositiveSmallIntegerField(_("slots"), default=1)
    # Free slots: claiming is one conditional UPDATE on this counter, so the last slot has exactly one winner.
    slots_left = models.PositiveSmallIntegerField(_("free slots"), default=1)
    claim_window_hours = models.PositiveSmallIntegerField(_("claim window (hours)"), default=24)
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    escrow_funded = models.BooleanField(_("escrow funded"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="tasks_task_status_pub_idx"),
            models.Index(fields=["status", "deadline"], name="tasks_task_status_deadline_idx"),
            models.Index(fields=["poster", "status"], name="tasks_task_poster_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="city", department__isnull=False, poster__isnull=True))
                | (Q(kind="peer", department__isnull=True, poster__isnull=False)),
                name="tasks_task_one_poster_matching_kind",
            ),
            models.CheckConstraint(condition=Q(reward_cents__gt=0), name="tasks_task_reward_positive"),
            models.CheckConstraint(condition=Q(slots__gt=0), name="tasks_task_slots_positive"),
            models.CheckConstraint(condition=Q(slots_left__lte=F("slots")), name="tasks_task_slots_left_le_slots"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="tasks_task_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="tasks_task_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def task_key(self) -> str:
        """The ledger's name for this task's escrow account."""
        return f"task:{self.pk}"

    @property
    def is_city(self) -> bool:
        return self.kind == self.Kind.CITY

    @property
    def is_peer(self) -> bool:
        return self.kind == self.Kind.PEER

    @property
    def escrow_total_cents(self) -> int:
        return self.reward_cents * self.slots

    @property
    def claim_window(self) -> timedelta:
        return timedelta(hours=self.claim_window_hours)

    @property
    def poster_name(self) -> str:
        return self.department.name if self.department_id else self.poster.public_name

    @property
    def has_place(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def is_visible_publicly(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.FULL}


class Claim(models.Model):
    """A resident holding one slot of a task until they submit proof or the claim window passes."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Claimed")
        SUBMITTED = "submitted", _("Proof submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        GIVEN_UP = "given_up", _("Given up")
        CANCELLED = "cancelled", _("Task cancelled")

    # Statuses that hold a slot; the others have given it back (or were paid, see APPROVED).
    HOLDING = (Status.ACTIVE, Status.SUBMITTED)
    # Statuses that stop the same resident from claiming the task again.
    BLOCKING_RECLAIM = (Status.ACTIVE, Status.SUBMITTED, Status.APPROVED)

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="claims", verbose_name=_("task"))
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims", verbose_name=_("resident")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reward_cents = models.BigIntegerField(_("reward (cents)"))
    claimed_at = models.DateTimeField(_("claimed"))
    expires_at = models.DateTimeField(_("expires"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["resident", "status"], name="tasks_claim_resident_idx"),
            models.Index(fields=["status", "expires_at"], name="tasks_claim_status_exp_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "resident"],
                condition=Q(status__in=["active", "submitted", "approved"]),
                name="tasks_claim_one_live_claim_per_resident",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("claimed_at")), name="tasks_claim_expires_after"),
            models.CheckConstraint(condition=Q(reward_cents__gt=0), name="tasks_claim_reward_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.resident}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def is_expired_at(self, now) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at <= now


class ScreeningDecision(models.Model):
    """One run of the market-protection rules on a task: its inputs, the rules that fired and the outcome."""

    class Outcome(models.TextChoices):
        ALLOW = "allow", _("Allowed")
        REVIEW = "review", _("Review")
        BLOCK = "block", _("Blocked")

    class Resolution(models.TextChoices):
        PENDING = "pending", _("Waiting for a person")
        APPROVED = "approved", _("Approved by staff")
        BLOCKED = "blocked", _("Blocked by staff")
        NONE = "", _("Not needed")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="screenings")
    created_at = models.DateTimeField(_("screened"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    inputs = models.JSONField(_("inputs"))
    fired_rules = models.JSONField(_("rules that fired"), default=list)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True, default="")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff_reason = models.TextField(_("staff reason"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("screening decision")
        verbose_name_plural = _("screening decisions")
        indexes = [models.Index(fields=["resolution", "created_at"], name="tasks_screening_queue_idx")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.outcome}"

    def reasons(self, language: str | None = None) -> list[str]:
        """The reasons of the fired rules in the given (or the current) language."""
        language = (language or get_language() or "fi")[:2]
        return [rule["reason"].get(language) or rule["reason"].get("fi", "") for rule in self.fired_rules]


class ScreeningOverride(models.Model):
    """Audit record of a staff member overriding (or settling) a screening decision. Append-only."""

    decision = models.ForeignKey(ScreeningDecision, on_delete=models.PROTECT, related_name="overrides")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="overrides")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("when"))
    outcome_before = models.CharField(_("outcome before"), max_length=10, choices=ScreeningDecision.Outcome.choices)
    outcome_after = models.CharField(_("outcome after"), max_length=10, choices=ScreeningDecision.Outcome.choices)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("screening override")
        verbose_name_plural = _("screening overrides")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="tasks_override_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.outcome_before} → {self.outcome_after}"
