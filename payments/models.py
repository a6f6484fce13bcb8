"""Card top-ups through Stripe Checkout and the Stripe events that moved them.

A TopUp is one attempt to buy eRaha with euros; its credit is one ledger transaction (card issuance →
wallet) posted with the idempotency key "stripe:<checkout session id>". A StripeEvent is stored once per
Stripe event id, in the same database transaction as its effect, so a replayed event changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TopUpStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Waiting for payment")
    CREDITED = "credited", _("Paid and credited")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    DISPUTED = "disputed", _("Disputed")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")


# Top-ups that may still be paid: they count towards the monthly limit until they expire.
OPEN_STATUSES = (TopUpStatus.CREATED, TopUpStatus.PENDING)
# Top-ups whose money reached the city (or may have): they always count towards the monthly limit.
PAID_STATUSES = (TopUpStatus.CREDITED, TopUpStatus.DISPUTED, TopUpStatus.NEEDS_ATTENTION)


class TopUp(models.Model):
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="top_ups"
    )
    eur_cents = models.BigIntegerField(_("amount (euro cents)"))
    eraha_cents = models.BigIntegerField(_("eRaha to receive (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="eur")
    status = models.CharField(_("status"), max_length=20, choices=TopUpStatus.choices, default=TopUpStatus.CREATED)
    session_id = models.CharField(_("Checkout session"), max_length=255, null=True, blank=True)
    checkout_url = models.URLField(_("Checkout address"), max_length=2000, blank=True)
    payment_intent_id = models.CharField(_("payment intent"), max_length=255, blank=True)
    paid_eur_cents = models.BigIntegerField(_("paid according to Stripe (euro cents)"), null=True, blank=True)
    credit_transaction = models.OneToOneField(
        "wallet.Transaction",
        verbose_name=_("ledger credit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refunded_eur_cents = models.BigIntegerField(_("refunded (euro cents)"), default=0)
    disputed_eur_cents = models.BigIntegerField(_("disputed (euro cents)"), default=0)
    reversed_eraha_cents = models.BigIntegerField(_("eRaha taken back (cents)"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("card top-up")
        verbose_name_plural = _("card top-ups")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["resident", "created_at"], name="payments_topup_resident_idx"),
            models.Index(
                fields=["payment_intent_id"], name="payments_topup_intent_idx", condition=~Q(payment_intent_id="")
            ),
            models.Index(fields=["paid_at"], name="payments_topup_paid_idx", condition=Q(paid_at__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session_id"], name="payments_topup_session_unique"),
            models.CheckConstraint(condition=Q(eur_cents__gt=0), name="payments_topup_eur_positive"),
            models.CheckConstraint(condition=Q(eraha_cents__gt=0), name="payments_topup_eraha_positive"),
            models.CheckConstraint(condition=Q(status__in=TopUpStatus.values), name="payments_topup_status_valid"),
            models.CheckConstraint(
                condition=Q(refunded_eur_cents__gte=0) & Q(refunded_eur_cents__lte=F("eur_cents")),
                name="payments_topup_refund_in_range",
            ),
            models.CheckConstraint(
                condition=Q(disputed_eur_cents__gte=0) & Q(disputed_eur_cents__lte=F("eur_cents")),
                name="payments_topup_dispute_in_range",
            ),
            models.CheckConstraint(
                condition=Q(reversed_eraha_cents__gte=0) & Q(reversed_eraha_cents__lte=F("eraha_cents")),
                name="payments_topup_reversed_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status=TopUpStatus.CREDITED) | Q(credit_transaction__isnull=False),
                name="payments_topup_credited_has_credit",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        """Nothing more will happen by itself (the status page stops polling)."""
        return self.status not in OPEN_STATUSES


class EventOutcome(models.TextChoices):
    CREDITED = "credited", _("Credited")
    ALREADY_CREDITED = "already_credited", _("Already credited")
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for a delayed payment")
    MARKED_EXPIRED = "marked_expired", _("Top-up marked expired")
    MARKED_FAILED = "marked_failed", _("Top-up marked failed")
    MISMATCH = "mismatch", _("Amount or currency mismatch")
    REFUND_RECORDED = "refund_recorded", _("Refund recorded")
    DISPUTE_RECORDED = "dispute_recorded", _("Dispute recorded")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    IGNORED = "ignored", _("Ignored")


class StripeEvent(models.Model):
    event_id = models.CharField(_("event"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    top_up = models.ForeignKey(
        TopUp, verbose_name=_("top-up"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=EventOutcome.choices, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["event_id"], name="payments_stripeevent_id_unique")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
