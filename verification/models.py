"""Proofs, their photos and hashes, decisions, queue locks, appeals, disputes and the risk policy.

State changes go through verification.services (conditional updates); nothing here has business logic.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from people.models import Department


def _photo_path(prefix: str) -> str:
    # Random, unguessable names; the files are served only through the permission-checked view anyway.
    return f"proofs/{prefix}/{secrets.token_hex(2)}/{secrets.token_urlsafe(18)}.jpg"


class RiskPolicy(models.Model):
    """The city's verification policy: one row, edited in the admin. Read through `current()`."""

    auto_approve_enabled = models.BooleanField(_("automatic approval on"), default=True)
    min_approved_proofs = models.PositiveSmallIntegerField(_("approved proofs before automatic approval"), default=3)
    recent_rejection_days = models.PositiveSmallIntegerField(_("days a rejection counts as recent"), default=30)
    rejection_flag_count = models.PositiveSmallIntegerField(_("recent rejections that raise a flag"), default=2)
    audit_share_percent = models.PositiveSmallIntegerField(
        _("audit sample (%)"),
        default=10,
        help_text=_("This share of proofs that could be approved automatically goes to the queue anyway."),
    )
    max_photo_age_days = models.PositiveSmallIntegerField(_("oldest photo accepted (days)"), default=3)
    duplicate_max_distance = models.PositiveSmallIntegerField(
        _("near-duplicate distance (bits of 64)"),
        default=12,
        help_text=_("Photos whose perceptual hashes differ in at most this many bits count as the same photo."),
    )
    scene_max_distance = models.PositiveSmallIntegerField(
        _("before/after scene distance (bits of 64)"),
        default=28,
        help_text=_("Before and after photos farther apart than this are flagged as different places."),
    )
    peer_confirm_days = models.PositiveSmallIntegerField(_("days a poster has to confirm a peer proof"), default=3)
    appeal_days = models.PositiveSmallIntegerField(_("days to appeal a rejection"), default=14)
    photo_retention_days = models.PositiveSmallIntegerField(_("days photos are kept after the decision"), default=90)
    max_photos = models.PositiveSmallIntegerField(_("photos per proof at most"), default=6)

    class Meta:
        verbose_name = _("risk policy")
        verbose_name_plural = _("risk policy")
        constraints = [
            models.CheckConstraint(condition=Q(audit_share_percent__lte=100), name="verification_policy_audit_max"),
            models.CheckConstraint(condition=Q(duplicate_max_distance__lte=64), name="verification_policy_dup_max"),
            models.CheckConstraint(condition=Q(scene_max_distance__lte=64), name="verification_policy_scene_max"),
            models.CheckConstraint(condition=Q(max_photos__gte=1), name="verification_policy_photos_min"),
        ]

    def __str__(self) -> str:
        return str(_("Risk policy"))

    @classmethod
    def current(cls) -> RiskPolicy:
        return cls.objects.order_by("pk").first() or cls()


class Proof(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a verifier")
        PEER_PENDING = "peer", _("Waiting for the poster")
        APPEALED = "appealed", _("Appealed")
        DISPUTED = "disputed", _("Disputed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CHANGES = "changes", _("Changes requested")

    OPEN = (Status.QUEUED, Status.PEER_PENDING, Status.APPEALED, Status.DISPUTED)
    IN_QUEUE = (Status.QUEUED, Status.APPEALED, Status.DISPUTED)

    claim = models.ForeignKey("tasks.Claim", on_delete=models.PROTECT, related_name="proofs")
    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="proofs")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proofs")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_peer = models.BooleanField(_("peer task"), default=False)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    queue_reasons = models.JSONField(_("why queued"), default=list, blank=True)
    audit_sample = models.BooleanField(_("audit sample"), default=False)
    submission_key = models.CharField(max_length=64, unique=True)
    submitted_at = models.DateTimeField(_("submitted"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reward_transaction_id = models.BigIntegerField(null=True, blank=True)
    photos_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("proof")
        verbose_name_plural = _("proofs")
        indexes = [
            models.Index(fields=["status", "submitted_at", "id"], name="verif_proof_queue_idx"),
            models.Index(fields=["status", "department", "submitted_at"], name="verif_proof_dept_queue_idx"),
            models.Index(fields=["resident", "status"], name="verif_proof_resident_idx"),
            models.Index(fields=["status", "decided_at"], name="verif_proof_decided_idx"),
            # The queue, oldest first: a partial index walked in order (see services.queue_for).
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status__in=["queued", "appealed", "disputed"]),
                name="verif_proof_in_queue_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status__in=["queued", "peer", "appealed", "disputed", "approved"]),
                name="verification_one_live_proof_per_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.task_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ProofPhoto(models.Model):
    class Role(models.TextChoices):
        NONE = "", _("Photo")
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    proof = models.ForeignKey(Proof, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=6, choices=Role.choices, blank=True, default="")
    display = models.CharField(max_length=200, blank=True)  # storage names; empty once deleted
    thumbnail = models.CharField(max_length=200, blank=True)
    display_width = models.PositiveIntegerField(default=0)
    display_height = models.PositiveIntegerField(default=0)
    source_format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_at_source = models.CharField(max_length=10, blank=True)
    taken_at_has_offset = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["proof", "position"], name="verification_photo_position")]

    def __str__(self) -> str:
        return f"{self.proof_id}/{self.position}"

    @property
    def deleted(self) -> bool:
        return not self.display


class PhotoHash(models.Model):
    """Perceptual hashes of every photo ever accepted; kept after the photo itself is deleted."""

    photo = models.OneToOneField(ProofPhoto, on_delete=models.SET_NULL, null=True, blank=True, related_name="hash")
    proof = models.ForeignKey(Proof, on_delete=models.PROTECT, related_name="hashes")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claim_id_ref = models.BigIntegerField()
    phash = models.BigIntegerField()  # 64 bits as signed two's complement
    dhash = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["phash"], name="verif_hash_phash_idx")]

    def __str__(self) -> str:
        return f"{self.proof_id}: {self.phash & 0xFFFFFFFFFFFFFFFF:016x}"


class Decision(models.Model):
    class How(models.TextChoices):
        AUTO = "auto", _("Automatic")
        HUMAN = "human", _("Verifier")
        PEER = "peer", _("Poster")

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CHANGES = "changes", _("Changes requested")

    class Reason(models.IntegerChoices):
        NOT_SHOWN = 1, _("The photos do not show the work")
        WRONG_PLACE = 2, _("Wrong place")
        NOT_THIS_VISIT = 3, _("The photos are not from this visit")
        INCOMPLETE = 4, _("The work is not finished")
        OTHER = 5, _("Other reason (see the message)")

    proof = models.ForeignKey(Proof, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    how = models.CharField(_("how"), max_length=5, choices=How.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason_code = models.PositiveSmallIntegerField(_("reason"), choices=Reason.choices, null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    is_appeal = models.BooleanField(default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(_("staff seconds"), null=True, blank=True)
    created_at = models.DateTimeField(_("decided"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="rejected") | Q(reason_code__isnull=False), name="verification_reject_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proof_id}: {self.outcome} ({self.how})"


class QueueLock(models.Model):
    """A proof opened by a verifier; others see it locked until the decision or `expires_at`."""

    proof = models.OneToOneField(Proof, on_delete=models.CASCADE, primary_key=True, related_name="lock")
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.proof_id}: {self.verifier_id} until {self.expires_at:%H:%M}"


class Appeal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a verifier")
        UPHELD = "upheld", _("Rejection upheld")
        OVERTURNED = "overturned", _("Approved on appeal")

    proof = models.OneToOneField(Proof, on_delete=models.PROTECT, related_name="appeal")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("why the decision is wrong"))
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.proof_id}: {self.status}"


class Dispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a verifier")
        APPROVED = "approved", _("Decided: approved")
        REJECTED = "rejected", _("Decided: rejected")

    proof = models.OneToOneField(Proof, on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("what is wrong"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.proof_id}: {self.status}"
