"""Read-only, aggregated queries behind the dashboard. Nothing here writes; every query is a GROUP BY or an
aggregate so the page stays cheap with millions of ledger entries (see docs/reports.md).

Department scoping: a `Scope` that is not city-wide only ever filters by its departments' ids; the
city-level figures (wallets, vouchers, partners, integrity signals) are computed only for a city-wide scope.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reports.access import Scope
from tasks.models import Claim, ScreeningDecision, ScreeningOverride, Task
from verification.models import Decision, Proof
from vouchers.models import Voucher
from wallet.models import Account, AccountKind, Entry, Transaction, TransactionCode

# Buckets of the activity chart: one a day up to this many days, otherwise one a month.
DAILY_UP_TO_DAYS = 92
# A pair is listed when each has paid (or confirmed) the other at least this many times in the period.
MUTUAL_MIN = 2
# An earner is unusual above this multiple of the median earner's total in the period.
UNUSUAL_EARNER_FACTOR = 3
SIGNAL_LIMIT = 50


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def monthly(self) -> bool:
        return self.days > DAILY_UP_TO_DAYS


@dataclass
class Table:
    """One table of the dashboard; the page and its CSV download render the same rows."""

    key: str
    title: str
    columns: list[tuple[str, str]]  # (label, kind): kind is text, int, eraha, euros, seconds, percent
    rows: list[list] = field(default_factory=list)

    def cells(self) -> list[list[tuple]]:
        """Rows as (value, kind) pairs for the template."""
        return [[(value, kind) for value, (_label, kind) in zip(row, self.columns, strict=True)] for row in self.rows]


def _dept_keys(scope: Scope) -> list[str]:
    return [f"department:{pk}" for pk in scope.department_ids]


# --- Liabilities (from the ledger) -------------------------------------------------------------------


def balances_per_kind() -> dict[str, dict]:
    """The same aggregate `wallet.audit.summary()` prints for `manage.py ledger_audit` (one query)."""
    return {
        row["kind"]: row
        for row in Account.objects.values("kind")
        .annotate(accounts=Count("pk"), balance=Sum(F("credits_posted") - F("debits_posted")))
        .order_by("kind")
    }


def liabilities(scope: Scope) -> list[Table]:
    tables = []
    if scope.city_wide:
        per_kind = balances_per_kind()

        def balance(kind: str) -> int:
            return (per_kind.get(kind) or {}).get("balance") or 0

        vouchers = Voucher.objects.aggregate(
            valid_count=Count("pk", filter=Q(status=Voucher.Status.VALID)),
            valid_face=Sum("face_value", filter=Q(status=Voucher.Status.VALID), default=0),
        )
        tables.append(
            Table(
                "liabilities",
                _("What the city owes"),
                [(_("Item"), "text"), (_("eRaha"), "eraha")],
                [
                    [_("eRaha in resident wallets"), balance(AccountKind.WALLET)],
                    [_("eRaha reserved in task escrow"), balance(AccountKind.ESCROW)],
                    [_("Unredeemed vouchers (eRaha paid)"), balance(AccountKind.VOUCHER_LIABILITY)],
                    [_("Redeemed vouchers not yet settled (eRaha)"), balance(AccountKind.PARTNER_PAYABLE)],
                    [_("Left in department budgets"), balance(AccountKind.BUDGET)],
                    [_("Issued by the city"), -balance(AccountKind.CITY_ISSUANCE)],
                    [_("Bought with cards"), -balance(AccountKind.CARD_ISSUANCE)],
                ],
            )
        )
        partners = (
            Voucher.objects.filter(status__in=[Voucher.Status.VALID, Voucher.Status.REDEEMED])
            .values("partner__name")
            .annotate(
                redeemed=Count("pk", filter=Q(status=Voucher.Status.REDEEMED)),
                owed=Sum("face_value", filter=Q(status=Voucher.Status.REDEEMED), default=0),
                valid=Count("pk", filter=Q(status=Voucher.Status.VALID)),
                valid_face=Sum("face_value", filter=Q(status=Voucher.Status.VALID), default=0),
            )
            .order_by("partner__name")
        )
        tables.append(
            Table(
                "partners",
                _("Euros owed to partners"),
                [
                    (_("Partner"), "text"),
                    (_("Redeemed vouchers"), "int"),
                    (_("Euros for redeemed vouchers"), "euros"),
                    (_("Valid vouchers"), "int"),
                    (_("Face value of valid vouchers"), "euros"),
                ],
                [[p["partner__name"], p["redeemed"], p["owed"], p["valid"], p["valid_face"]] for p in partners]
                + [[_("Valid vouchers in total"), "", "", vouchers["valid_count"], vouchers["valid_face"]]],
            )
        )
    tables.append(budgets(scope))
    return tables


def budgets(scope: Scope) -> Table:
    """Per department: funded by the city, reserved in open task escrow, paid out, left (three queries)."""
    keys = _dept_keys(scope)
    accounts = {
        row["owner_key"]: row
        for row in Account.objects.filter(kind=AccountKind.BUDGET, owner_key__in=keys).values(
            "pk", "owner_key", balance=F("credits_posted") - F("debits_posted")
        )
    }
    account_ids = [row["pk"] for row in accounts.values()]
    funded = dict(
        Entry.objects.filter(account_id__in=account_ids, transaction__code=TransactionCode.FUND_DEPARTMENT)
        .values_list("account_id")
        .annotate(total=Sum("amount"))
    )
    escrow = dict(
        Account.objects.filter(kind=AccountKind.ESCROW, funded_from_id__in=account_ids)
        .values_list("funded_from_id")
        .annotate(total=Sum(F("credits_posted") - F("debits_posted")))
    )
    rows = []
    for department in scope.departments:
        account = accounts.get(f"department:{department.pk}")
        if account is None:
            rows.append([department.name, 0, 0, 0, 0])
            continue
        left = account["balance"]
        funded_total = funded.get(account["pk"], 0) or 0
        reserved = escrow.get(account["pk"], 0) or 0
        rows.append([department.name, funded_total, reserved, funded_total - left - reserved, left])
    return Table(
        "budgets",
        _("Department budgets"),
        [
            (_("Department"), "text"),
            (_("Funded"), "eraha"),
            (_("Reserved for open tasks"), "eraha"),
            (pgettext_lazy("budget", "Used"), "eraha"),
            (_("Left"), "eraha"),
        ],
        rows,
    )


# --- Activity over time ------------------------------------------------------------------------------


def _task_scope(scope: Scope, prefix: str = "") -> Q:
    if scope.city_wide:
        return Q()
    return Q(**{f"{prefix}department_id__in": scope.department_ids})


def _bucket(period: Period, field_name: str):
    zone = timezone.get_current_timezone()
    return TruncMonth(field_name, tzinfo=zone) if period.monthly else TruncDate(field_name, tzinfo=zone)


def _bucket_key(value, period: Period) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1) if period.monthly else value


def _buckets(period: Period) -> list[date]:
    out, day = [], period.start
    while day <= period.end:
        key = day.replace(day=1) if period.monthly else day
        if not out or out[-1] != key:
            out.append(key)
        day += timedelta(days=1)
    return out


def activity(scope: Scope, period: Period) -> Table:
    """Tasks published and completed, eRaha earned from tasks and spent on vouchers, vouchers redeemed."""
    series: dict[date, list[int]] = {key: [0, 0, 0, 0, 0] for key in _buckets(period)}

    def add(rows, index: int, value_names: tuple[str, ...]) -> None:
        for row in rows:
            key = _bucket_key(row["bucket"], period)
            if key in series:
                for offset, name in enumerate(value_names):
                    series[key][index + offset] += row[name] or 0

    add(
        Task.objects.filter(_task_scope(scope), published_at__gte=period.since, published_at__lt=period.until)
        .annotate(bucket=_bucket(period, "published_at"))
        .values("bucket")
        .annotate(n=Count("pk")),
        0,
        ("n",),
    )
    add(
        Claim.objects.filter(
            _task_scope(scope, "task__"),
            status=Claim.Status.APPROVED,
            ended_at__gte=period.since,
            ended_at__lt=period.until,
        )
        .annotate(bucket=_bucket(period, "ended_at"))
        .values("bucket")
        .annotate(n=Count("pk"), earned=Sum("reward_cents")),
        1,
        ("n", "earned"),
    )
    if scope.city_wide:
        add(
            Voucher.objects.filter(purchased_at__gte=period.since, purchased_at__lt=period.until)
            .annotate(bucket=_bucket(period, "purchased_at"))
            .values("bucket")
            .annotate(spent=Sum("price")),
            3,
            ("spent",),
        )
        add(
            Voucher.objects.filter(
                status=Voucher.Status.REDEEMED, redeemed_at__gte=period.since, redeemed_at__lt=period.until
            )
            .annotate(bucket=_bucket(period, "redeemed_at"))
            .values("bucket")
            .annotate(n=Count("pk")),
            4,
            ("n",),
        )
    columns = [
        (_("Month") if period.monthly else _("Day"), "text"),
        (_("Tasks published"), "int"),
        (_("Tasks completed"), "int"),
        (_("eRaha earned"), "eraha"),
    ]
    if scope.city_wide:
        columns += [(_("eRaha spent on vouchers"), "eraha"), (_("Vouchers redeemed"), "int")]
    width = len(columns) - 1
    fmt = "%Y-%m" if period.monthly else "%Y-%m-%d"
    return Table(
        "activity", _("Activity"), columns, [[key.strftime(fmt), *values[:width]] for key, values in series.items()]
    )


# --- Verification cost -------------------------------------------------------------------------------


def _proof_scope(scope: Scope, prefix: str = "") -> Q:
    if scope.city_wide:
        return Q()
    return Q(**{f"{prefix}department_id__in": scope.department_ids})


def _median_seconds(decisions) -> float | None:
    """Median of the staff seconds of human decisions: one percentile query on PostgreSQL."""
    human = decisions.filter(how=Decision.How.HUMAN, seconds__isnull=False)
    if connection.vendor == "postgresql":
        sql, params = human.values("seconds").query.sql_with_params()
        with connection.cursor() as cursor:
            # The inner SQL is Django's own, compiled from the ORM with its parameters kept separate.
            cursor.execute(f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM ({sql}) AS s", params)  # noqa: S608
            value = cursor.fetchone()[0]
        return float(value) if value is not None else None
    values = list(human.values_list("seconds", flat=True))
    return statistics.median(values) if values else None


def verification_cost(scope: Scope, period: Period, *, now: datetime) -> list[Table]:
    decisions = Decision.objects.filter(
        _proof_scope(scope, "proof__"), created_at__gte=period.since, created_at__lt=period.until
    )
    by_how = {
        row["how"]: row
        for row in decisions.values("how").annotate(n=Count("pk"), seconds=Sum("seconds")).order_by("how")
    }
    human = by_how.get(Decision.How.HUMAN) or {"n": 0, "seconds": 0}
    human_seconds = round(human["seconds"] or 0)
    completed = Claim.objects.filter(
        _task_scope(scope, "task__"),
        status=Claim.Status.APPROVED,
        ended_at__gte=period.since,
        ended_at__lt=period.until,
    ).count()
    median = _median_seconds(decisions)
    queue = Proof.objects.filter(_proof_scope(scope), status__in=Proof.IN_QUEUE).aggregate(
        n=Count("pk"), oldest=Min("submitted_at")
    )
    oldest_hours = round((now - queue["oldest"]).total_seconds() / 3600, 1) if queue["oldest"] else 0
    audit = dict(
        decisions.filter(proof__audit_sample=True, how=Decision.How.HUMAN, is_appeal=False)
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    audited = sum(audit.values())
    rejected = audit.get(Decision.Outcome.REJECTED, 0)
    cost = Table(
        "verification",
        _("Verification cost"),
        [(_("Figure"), "text"), (_("Value"), "text")],
        [
            [_("Decisions made automatically"), (by_how.get(Decision.How.AUTO) or {}).get("n", 0)],
            [_("Decisions made by a verifier"), human["n"]],
            [_("Decisions made by the poster (peer tasks)"), (by_how.get(Decision.How.PEER) or {}).get("n", 0)],
            [_("Verifier seconds in total"), human_seconds],
            [_("Median verifier seconds per decision"), round(median, 1) if median is not None else "–"],
            [_("Tasks completed"), completed],
            [_("Verifier seconds per completed task"), round(human_seconds / completed, 1) if completed else "–"],
            [_("Proofs waiting in the queue now"), queue["n"]],
            [_("Oldest proof in the queue (hours)"), oldest_hours],
        ],
    )
    sample = Table(
        "audit_sample",
        _("Audit sample: auto-approvable proofs checked by a person"),
        [(_("Outcome"), "text"), (_("Proofs"), "int")],
        [[label, audit.get(value, 0)] for value, label in Decision.Outcome.choices]
        + [[_("Auto-approval error rate (%)"), round(100 * rejected / audited, 1) if audited else "–"]],
    )
    return [cost, sample]


# --- Market protection -------------------------------------------------------------------------------


def market_protection(scope: Scope, period: Period) -> list[Table]:
    decisions = ScreeningDecision.objects.filter(
        _task_scope(scope, "task__"), created_at__gte=period.since, created_at__lt=period.until
    )
    by_outcome = dict(decisions.values_list("outcome").annotate(n=Count("pk")))
    by_rule: dict[tuple[str, str], int] = {}
    for outcome, fired in decisions.exclude(outcome=ScreeningDecision.Outcome.ALLOW).values_list(
        "outcome", "fired_rules"
    ):
        for rule in fired or []:
            key = (rule.get("code", "?"), outcome)
            by_rule[key] = by_rule.get(key, 0) + 1
    outcomes = Table(
        "screening",
        _("Market-protection decisions"),
        [(_("Outcome"), "text"), (_("Tasks screened"), "int")],
        [[label, by_outcome.get(value, 0)] for value, label in ScreeningDecision.Outcome.choices],
    )
    labels = dict(ScreeningDecision.Outcome.choices)
    rules = Table(
        "rules",
        _("Rules that fired"),
        [(_("Rule"), "text"), (_("Outcome"), "text"), (_("Times"), "int")],
        [
            [code, labels.get(outcome, outcome), n]
            for (code, outcome), n in sorted(by_rule.items(), key=lambda i: -i[1])
        ],
    )
    overrides = Table(
        "overrides",
        _("Overrides by staff"),
        [
            (_("When"), "text"),
            (_("Task"), "text"),
            (_("Before"), "text"),
            (_("After"), "text"),
            (_("By"), "text"),
            (_("Reason"), "text"),
        ],
        [
            [
                timezone.localtime(o.created_at).strftime("%Y-%m-%d %H:%M"),
                o.task.title,
                o.get_outcome_before_display(),
                o.get_outcome_after_display(),
                o.actor.public_name,
                o.reason,
            ]
            for o in ScreeningOverride.objects.filter(
                _task_scope(scope, "task__"), created_at__gte=period.since, created_at__lt=period.until
            )
            .select_related("task", "actor")
            .order_by("-created_at")[:200]
        ],
    )
    return [outcomes, rules, overrides]


# --- Integrity signals (city-wide only) --------------------------------------------------------------


def _last_transaction_id_before(moment: datetime) -> int:
    """Ledger ids grow with time (append-only, created_at defaults to the insert time), so the period's
    bounds are found by walking the primary key back from the newest row, never by scanning the table;
    the period's transactions are then an id range, which the planner estimates well."""
    before = Transaction.objects.filter(created_at__lt=moment).order_by("-pk").values_list("pk", flat=True).first()
    return before or 0


# One pass over the period's entries (found through the transaction index from the period's first id):
# each payment's two legs are folded into (payer, payee), pairs are counted on account ids, and only the
# few mutual pairs are joined to their owners.
MUTUAL_SQL = """
    WITH legs AS (
        SELECT e.transaction_id,
               MAX(e.account_id) FILTER (WHERE e.amount < 0) AS payer,
               MAX(e.account_id) FILTER (WHERE e.amount > 0) AS payee,
               MAX(e.amount) AS amount
        FROM wallet_entry e JOIN wallet_transaction t ON t.id = e.transaction_id
        WHERE e.transaction_id BETWEEN %(first)s AND %(last)s AND t.id BETWEEN %(first)s AND %(last)s
          AND t.code = %(code)s
        GROUP BY e.transaction_id
    ), directed AS (
        SELECT payer, payee, COUNT(*) AS n, SUM(amount) AS total
        FROM legs GROUP BY payer, payee HAVING COUNT(*) >= %(min)s
    )
    SELECT s.owner_key, r.owner_key, a.n, b.n, a.total + b.total
    FROM directed a
    JOIN directed b ON a.payer = b.payee AND a.payee = b.payer
    JOIN wallet_account s ON s.id = a.payer
    JOIN wallet_account r ON r.id = a.payee
    WHERE a.payer < a.payee
    ORDER BY a.n + b.n DESC, a.payer LIMIT %(limit)s
    """


def mutual_payments(period: Period) -> list[tuple[str, str, int, int, int]]:
    """Pairs of wallets that paid each other at least MUTUAL_MIN times each way in the period."""
    first_id = _last_transaction_id_before(period.since) + 1
    last_id = _last_transaction_id_before(period.until)

    with connection.cursor() as cursor:
        cursor.execute(
            MUTUAL_SQL,
            {
                "first": first_id,
                "last": last_id,
                "code": TransactionCode.PAY_NEIGHBOUR.value,
                "min": MUTUAL_MIN,
                "limit": SIGNAL_LIMIT,
            },
        )
        return [tuple(row) for row in cursor.fetchall()]


def _names(user_ids) -> dict[int, str]:
    from people.models import User

    return {
        pk: f"{name or email.split('@')[0]} (#{pk})"
        for pk, name, email in User.objects.filter(pk__in=set(user_ids)).values_list("pk", "display_name", "email")
    }


def integrity(period: Period) -> list[Table]:
    pairs = mutual_payments(period)
    peer = {
        (row["proof__task__poster_id"], row["proof__resident_id"]): row["n"]
        for row in Decision.objects.filter(
            how=Decision.How.PEER,
            outcome=Decision.Outcome.APPROVED,
            created_at__gte=period.since,
            created_at__lt=period.until,
        )
        .values("proof__task__poster_id", "proof__resident_id")
        .annotate(n=Count("pk"))
    }
    confirm_pairs = [
        (a, b, n, peer[(b, a)])
        for (a, b), n in peer.items()
        if a is not None and a < b and (b, a) in peer and n >= MUTUAL_MIN and peer[(b, a)] >= MUTUAL_MIN
    ]
    earners = list(
        Claim.objects.filter(status=Claim.Status.APPROVED, ended_at__gte=period.since, ended_at__lt=period.until)
        .values("resident_id")
        .annotate(total=Sum("reward_cents"), n=Count("pk"))
        .order_by("-total")
    )
    median = statistics.median([e["total"] for e in earners]) if earners else 0
    unusual = [e for e in earners if median and e["total"] >= UNUSUAL_EARNER_FACTOR * median][:SIGNAL_LIMIT]
    user_ids = [int(k.split(":")[1]) for p in pairs for k in p[:2] if k.startswith("user:")]
    user_ids += [pk for p in confirm_pairs for pk in p[:2]] + [e["resident_id"] for e in unusual]
    names = _names(user_ids)

    def name_of_key(key: str) -> str:
        return names.get(int(key.split(":")[1]), key) if key.startswith("user:") else key

    return [
        Table(
            "mutual_payments",
            _("Residents who pay each other back and forth"),
            [
                (_("Resident"), "text"),
                (_("Resident"), "text"),
                (_("Payments one way"), "int"),
                (_("Payments the other way"), "int"),
                (_("eRaha in total"), "eraha"),
            ],
            [[name_of_key(a), name_of_key(b), n1, n2, total] for a, b, n1, n2, total in pairs],
        ),
        Table(
            "mutual_confirmations",
            _("Residents who confirm each other's neighbour tasks"),
            [
                (_("Resident"), "text"),
                (_("Resident"), "text"),
                (_("Confirmed one way"), "int"),
                (_("Confirmed the other way"), "int"),
            ],
            [[names.get(a, a), names.get(b, b), n1, n2] for a, b, n1, n2 in confirm_pairs],
        ),
        Table(
            "unusual_earners",
            _("Unusual earners"),
            [
                (_("Resident"), "text"),
                (_("Tasks paid"), "int"),
                (_("eRaha earned"), "eraha"),
                (_("Times the median"), "text"),
            ],
            [[names.get(e["resident_id"]), e["n"], e["total"], f"{e['total'] / median:.1f}"] for e in unusual],
        ),
    ]


# --- The whole dashboard -----------------------------------------------------------------------------


def dashboard(scope: Scope, period: Period, *, now: datetime) -> dict:
    sections = {
        "liabilities": liabilities(scope),
        "activity": [activity(scope, period)],
        "verification": verification_cost(scope, period, now=now),
        "market": market_protection(scope, period),
        "integrity": integrity(period) if scope.city_wide else [],
    }
    tables = {table.key: table for group in sections.values() for table in group}
    return {"sections": sections, "tables": tables}
