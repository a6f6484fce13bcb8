"""Ledger audit check for card top-ups (listed in settings.LEDGER_AUDIT_CHECKS)."""

from __future__ import annotations

from django.db.models import Q, Sum

from payments.models import TopUp, TopUpStatus
from payments.services import CHECKOUT_CREDIT_PREFIX
from wallet.audit import Violation
from wallet.models import AccountKind, Entry, Transaction, TransactionCode


def check_one_credit_per_top_up() -> list[Violation]:
    """One credit per top-up; every credited top-up has exactly one ledger credit of the right amount
    (card issuance → the resident's wallet, key "stripe:<session>"); every credit keyed with a Checkout
    session ("stripe:cs_...") belongs to a top-up; the eRaha taken back after refunds equal what the
    top-up records."""
    rows: list = []
    credited = TopUp.objects.filter(Q(credit_transaction__isnull=False) | Q(status=TopUpStatus.CREDITED))
    credits = {
        tx.pk: tx
        for tx in Transaction.objects.filter(
            Q(idempotency_key__startswith=CHECKOUT_CREDIT_PREFIX) | Q(pk__in=credited.values("credit_transaction"))
        ).prefetch_related("entries__account")
    }
    linked = set()
    for top_up in credited.only("pk", "resident_id", "eraha_cents", "session_id", "credit_transaction_id", "status"):
        credit = credits.get(top_up.credit_transaction_id)
        if credit is None:
            rows.append({"top_up": top_up.pk, "problem": "credited without a ledger credit"})
            continue
        linked.add(credit.pk)
        legs = sorted((e.account.kind, e.account.owner_key, e.amount) for e in credit.entries.all())
        expected = sorted(
            [
                (AccountKind.CARD_ISSUANCE.value, "card", -top_up.eraha_cents),
                (AccountKind.WALLET.value, f"user:{top_up.resident_id}", top_up.eraha_cents),
            ]
        )
        if (
            credit.code != TransactionCode.CARD_TOP_UP
            or credit.idempotency_key != f"stripe:{top_up.session_id}"
            or legs != expected
        ):
            rows.append(
                {"top_up": top_up.pk, "transaction": credit.pk, "problem": "credit of the wrong kind or amount"}
            )
    for pk, credit in credits.items():
        if pk not in linked and credit.idempotency_key.startswith(CHECKOUT_CREDIT_PREFIX):
            rows.append({"transaction": pk, "problem": "Stripe credit without a credited top-up"})
    taken = (
        Entry.objects.filter(
            transaction__idempotency_key__startswith="stripe-take-back:", account__kind=AccountKind.CARD_ISSUANCE
        )
        .values("transaction__idempotency_key")
        .annotate(total=Sum("amount"))
    )
    taken_per_session: dict[str, int] = {}
    for row in taken:
        session = row["transaction__idempotency_key"].removeprefix("stripe-take-back:").rsplit(":", 1)[0]
        taken_per_session[session] = taken_per_session.get(session, 0) + row["total"]
    recorded = dict(
        TopUp.objects.filter(Q(reversed_eraha_cents__gt=0) | Q(session_id__in=list(taken_per_session))).values_list(
            "session_id", "reversed_eraha_cents"
        )
    )
    for session in set(taken_per_session) | set(recorded):
        if taken_per_session.get(session, 0) != recorded.get(session, 0):
            rows.append(
                {
                    "session": session,
                    "taken_back": taken_per_session.get(session, 0),
                    "recorded": recorded.get(session),
                    "problem": "eRaha taken back differ from the top-up's record",
                }
            )
    return [Violation("one_credit_per_top_up", "Card top-ups and their ledger credits disagree.", rows)] if rows else []
