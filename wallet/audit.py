"""The ledger audit: every invariant of DESIGN.md "The ledger", run by `manage.py ledger_audit` and after
every test that touched the database. Each check returns a list of Violation; an empty list means it holds.

Apps add their own checks (vouchers: issued vouchers equal the liability; payments: one credit per
top-up) by appending dotted paths to settings.LEDGER_AUDIT_CHECKS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import Coalesce
from django.utils.module_loading import import_string

from wallet.db import guards_present
from wallet.models import Account, AccountKind, Entry, Transaction, TransactionCode


@dataclass
class Violation:
    check: str
    message: str
    rows: list = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"[{self.check}] {self.message}"]
        lines.extend(f"    {row}" for row in self.rows[:50])
        if len(self.rows) > 50:
            lines.append(f"    ... and {len(self.rows) - 50} more")
        return "\n".join(lines)


def check_legs_sum_to_zero() -> list[Violation]:
    bad = list(
        Transaction.objects.annotate(total=Coalesce(Sum("entries__amount"), 0), legs=Count("entries"))
        .filter(~Q(total=0) | Q(legs__lt=2))
        .values("pk", "code", "idempotency_key", "total", "legs")
    )
    return (
        [Violation("legs_sum_to_zero", "Transactions whose entries do not balance (or have < 2 legs).", bad)]
        if bad
        else []
    )


def check_counters_match_entries() -> list[Violation]:
    bad = list(
        Account.objects.annotate(
            credits=Coalesce(Sum("entries__amount", filter=Q(entries__amount__gt=0)), 0),
            debits=Coalesce(-Sum("entries__amount", filter=Q(entries__amount__lt=0)), 0),
            entry_count=Count("entries"),
            last_version=Coalesce(Max("entries__account_version"), 0),
        )
        .filter(
            ~Q(credits=F("credits_posted"))
            | ~Q(debits=F("debits_posted"))
            | ~Q(entry_count=F("version"))
            | ~Q(last_version=F("version"))
        )
        .values(
            "pk", "kind", "owner_key", "credits_posted", "credits", "debits_posted", "debits", "version", "entry_count"
        )
    )
    return (
        [Violation("counters_match_entries", "Account counters differ from the sum of their entries.", bad)]
        if bad
        else []
    )


def check_entry_chain() -> list[Violation]:
    """Each entry's balance_after is the running sum of its account's entries up to its version."""
    running = Entry.objects.annotate(
        running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=F("account_version").asc())
    )
    bad = list(
        running.filter(~Q(running=F("balance_after"))).values(
            "pk", "transaction_id", "account_id", "account_version", "amount", "balance_after", "running"
        )
    )
    return [Violation("entry_chain", "Entries whose balance after differs from the running sum.", bad)] if bad else []


def check_no_negative_accounts() -> list[Violation]:
    accounts = list(
        Account.objects.filter(allow_negative=False, credits_posted__lt=F("debits_posted")).values(
            "pk", "kind", "owner_key", "credits_posted", "debits_posted"
        )
    )
    entries = list(
        Entry.objects.filter(account__allow_negative=False, balance_after__lt=0).values(
            "pk", "transaction_id", "account_id", "balance_after"
        )
    )
    wrong_kind = list(
        Account.objects.filter(allow_negative=True)
        .exclude(kind__in=[AccountKind.CITY_ISSUANCE, AccountKind.CARD_ISSUANCE])
        .values("pk", "kind", "owner_key")
    )
    rows = accounts + entries + wrong_kind
    return [Violation("no_negative_accounts", "Non-negative accounts below zero.", rows)] if rows else []


def check_total_is_zero() -> list[Violation]:
    totals = Account.objects.aggregate(
        credits=Coalesce(Sum("credits_posted"), 0), debits=Coalesce(Sum("debits_posted"), 0)
    )
    if totals["credits"] != totals["debits"]:
        return [Violation("total_is_zero", "The balances of all accounts do not sum to zero.", [totals])]
    return []


def check_closed_escrows_are_empty() -> list[Violation]:
    bad = list(
        Account.objects.filter(kind=AccountKind.ESCROW, closed=True)
        .exclude(credits_posted=F("debits_posted"))
        .values("pk", "owner_key", "credits_posted", "debits_posted")
    )
    return [Violation("closed_escrows_are_empty", "Closed task escrows still hold eRaha.", bad)] if bad else []


def check_reversals_mirror_originals() -> list[Violation]:
    rows = []
    reversals = Transaction.objects.filter(code=TransactionCode.REVERSAL)
    missing = list(reversals.filter(reverses__isnull=True).values("pk"))
    rows.extend(missing)
    pairs = reversals.filter(reverses__isnull=False).values_list("pk", "reverses_id")
    if pairs:
        ids = [pk for pair in pairs for pk in pair]
        legs: dict[int, set] = {}
        for transaction_id, account_id, amount in Entry.objects.filter(transaction_id__in=ids).values_list(
            "transaction_id", "account_id", "amount"
        ):
            legs.setdefault(transaction_id, set()).add((account_id, amount))
        for reversal_id, original_id in pairs:
            mirrored = {(account, -amount) for account, amount in legs.get(original_id, set())}
            if legs.get(reversal_id, set()) != mirrored:
                rows.append({"reversal": reversal_id, "original": original_id})
    return (
        [Violation("reversals_mirror_originals", "Reversals that do not mirror their original.", rows)] if rows else []
    )


def check_append_only_guards() -> list[Violation]:
    """The triggers that make entries and transactions append-only are in place (a table rebuild on
    SQLite would silently drop them)."""
    missing = guards_present(connection)
    return (
        [Violation("append_only_guards", "Append-only triggers are missing or disabled.", missing)] if missing else []
    )


def run_audit() -> list[Violation]:
    violations: list[Violation] = []
    for dotted in settings.LEDGER_AUDIT_CHECKS:
        violations.extend(import_string(dotted)())
    return violations


def summary() -> dict:
    """Counts and totals for the audit report: accounts, transactions, balance per kind, owed to residents."""
    per_kind = {
        row["kind"]: row
        for row in Account.objects.values("kind")
        .annotate(accounts=Count("pk"), balance=Sum(F("credits_posted") - F("debits_posted")))
        .order_by("kind")
    }
    return {
        "accounts": Account.objects.count(),
        "transactions": Transaction.objects.count(),
        "entries": Entry.objects.count(),
        "per_kind": per_kind,
        "owed_to_residents": (per_kind.get(AccountKind.WALLET) or {}).get("balance") or 0,
    }
