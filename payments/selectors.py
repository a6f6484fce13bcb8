"""Reads for the reconciliation report: Stripe payments against ledger credits, per month."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from payments.audit import check_one_credit_per_top_up
from payments.models import TopUp, TopUpStatus
from payments.services import CHECKOUT_CREDIT_PREFIX
from wallet.models import AccountKind, Entry, TransactionCode


@dataclass
class MonthRow:
    month: object
    payments: int = 0
    paid_eur_cents: int = 0
    expected_eraha_cents: int = 0
    credits: int = 0
    credited_eraha_cents: int = 0
    returned_eur_cents: int = 0
    taken_back_eraha_cents: int = 0

    @property
    def difference(self) -> int:
        """eRaha owed for paid top-ups minus eRaha credited; zero when Stripe and the ledger agree."""
        return self.expected_eraha_cents - self.credited_eraha_cents

    @property
    def balanced(self) -> bool:
        return self.difference == 0 and self.payments == self.credits


@dataclass
class Reconciliation:
    year: int
    months: list[MonthRow] = field(default_factory=list)
    mismatches: list[TopUp] = field(default_factory=list)
    audit_problems: list = field(default_factory=list)


def reconciliation(*, year: int) -> Reconciliation:
    """Three grouped queries and one list; the month is local time (Europe/Helsinki)."""
    months: dict[object, MonthRow] = {}
    stripe_side = (
        TopUp.objects.filter(paid_at__year=year)
        .annotate(month=TruncMonth("paid_at"))
        .values("month")
        .annotate(
            payments=Count("pk"),
            paid=Coalesce(Sum("paid_eur_cents"), 0),
            expected=Coalesce(Sum("eraha_cents"), 0),
            returned=Coalesce(Sum("refunded_eur_cents"), 0) + Coalesce(Sum("disputed_eur_cents"), 0),
        )
    )
    for row in stripe_side:
        month = months.setdefault(row["month"].date(), MonthRow(month=row["month"].date()))
        month.payments, month.paid_eur_cents = row["payments"], row["paid"]
        month.expected_eraha_cents, month.returned_eur_cents = row["expected"], row["returned"]
    ledger_side = (
        Entry.objects.filter(
            transaction__created_at__year=year,
            transaction__code=TransactionCode.CARD_TOP_UP,
            transaction__idempotency_key__startswith=CHECKOUT_CREDIT_PREFIX,
            account__kind=AccountKind.WALLET,
        )
        .annotate(month=TruncMonth("transaction__created_at"))
        .values("month")
        .annotate(credits=Count("pk"), credited=Coalesce(Sum("amount"), 0))
    )
    for row in ledger_side:
        month = months.setdefault(row["month"].date(), MonthRow(month=row["month"].date()))
        month.credits, month.credited_eraha_cents = row["credits"], row["credited"]
    taken_back = (
        Entry.objects.filter(
            transaction__created_at__year=year,
            transaction__idempotency_key__startswith="stripe-take-back:",
            account__kind=AccountKind.CARD_ISSUANCE,
        )
        .annotate(month=TruncMonth("transaction__created_at"))
        .values("month")
        .annotate(total=Coalesce(Sum("amount"), 0))
    )
    for row in taken_back:
        month = months.setdefault(row["month"].date(), MonthRow(month=row["month"].date()))
        month.taken_back_eraha_cents = row["total"]
    mismatches = list(
        TopUp.objects.filter(
            Q(status=TopUpStatus.NEEDS_ATTENTION)
            | Q(paid_at__isnull=False, credit_transaction__isnull=True)
            | (Q(paid_at__isnull=False) & (Q(paid_eur_cents__isnull=True) | ~Q(paid_eur_cents=F("eur_cents"))))
        )
        .select_related("resident")
        .order_by("-paid_at", "-pk")[:200]
    )
    violations = check_one_credit_per_top_up()
    return Reconciliation(
        year=year,
        months=[months[key] for key in sorted(months)],
        mismatches=mismatches,
        audit_problems=[row for violation in violations for row in violation.rows],
    )


def pending_top_ups(user) -> list[dict]:
    """For the wallet page's "Pending" list (settings.WALLET_PENDING_PROVIDERS): top-ups that may still
    be paid. One query; nothing when card top-ups are off."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from payments import stripe_gateway
    from payments.models import OPEN_STATUSES

    if not stripe_gateway.enabled():
        return []
    open_top_ups = TopUp.objects.filter(resident=user, status__in=OPEN_STATUSES, expires_at__gt=timezone.now())
    return [
        {"label": _("Card top-up waiting for payment"), "amount": eraha}
        for eraha in open_top_ups.order_by("created_at").values_list("eraha_cents", flat=True)
    ]
