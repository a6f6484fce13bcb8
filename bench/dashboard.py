"""The city dashboard against one `SELECT SUM(amount)` over the ledger entries, in PostgreSQL.

One command: `.venv/bin/python bench/dashboard.py`. It creates the database eraha_bench_dashboard (kept
between runs; BENCH_RESET=1 rebuilds it), migrates it and, once, fills it with set-based SQL
(INSERT ... SELECT generate_series, never the ORM row by row):

- 5 departments, 5,000 residents, 10,000 city tasks of 5 slots, 50,000 approved claims and proofs with one
  decision each (70 % automatic, 25 % by a verifier with 20-120 staff seconds, 5 % by the poster), 10 %
  of them audit samples, 10,000 screening decisions (some blocked or sent to review with a fired rule);
- 500,000 ledger transactions of two legs = 1,000,000 entries, in id (and time) order over the last
  365 days: city issuance -> budgets, budgets -> task escrow, escrow -> wallets (the 50,000 rewards),
  card issuance -> wallets (top-ups), then wallet -> wallet neighbour payments. Every entry's
  account_version and balance_after come from window functions, the account counters from one
  aggregate, so the ledger audit's invariants hold (it is run once after the build and must be clean).
  The append-only triggers stay on: the build only INSERTs into the ledger tables.

Then it times, warm, the median of BENCH_ROUNDS runs of (a) `SELECT SUM(amount) FROM wallet_entry` and
(b) the whole dashboard page for a city administrator (default period: the last 30 days), rendered by
Django's test client in this process, and prints both and the ratio. For information it also times the
page for the whole year. Ends with `RESULT dashboard ratio_vs_sum=<x> goal=5 ok=<yes|no>`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "eraha_bench_dashboard"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
GOAL = 5.0
RESIDENTS = 5_000
DEPARTMENTS = 5
TASKS = 10_000
SLOTS = 5
PROOFS = TASKS * SLOTS  # 50,000
TRANSACTIONS = 500_000  # two legs each: 1,000,000 entries
DAYS = 365


def log(line: str) -> None:
    print(line, flush=True)


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists and os.environ.get("BENCH_RESET") == "1":
            conn.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eraha.settings")
    os.environ["DB_CONN_MAX_AGE"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def insert_select(model, count_sql: str, exprs: dict[str, str], params: dict | None = None) -> None:
    """INSERT INTO <model's table> SELECT ... FROM generate_series(1, n) AS g: every concrete column gets
    either its expression from `exprs` or the field's Python default as a parameter (Django's defaults are
    not database defaults)."""
    from django.db import connection

    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in exprs:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in exprs:
            values.append(exprs[field.column].replace("%", "%%"))
        else:
            default = field.get_default()
            values.append("%s")
            args.append(field.get_db_prep_save(default, connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - names from the models
        f"SELECT {', '.join(values)} FROM generate_series(1, {count_sql}) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, args)


def execute(sql: str) -> None:
    """Runs SQL without parameters (so a % in it is the modulo operator)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)


def build_data() -> None:
    from django.db import transaction
    from django.utils import timezone

    from people import roles
    from people.models import User
    from people.services import upsert_department
    from tasks.models import Category, Claim, ScreeningDecision, Task
    from verification.models import Decision, Proof
    from wallet.models import Account, Entry, Transaction

    if Entry.objects.exists():
        log(f"data already there: {Entry.objects.count():,} entries, {Proof.objects.count():,} proofs")
        return
    began = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        departments = [
            upsert_department(slug=f"dept{i}", name_fi=f"Toimiala {i}", name_sv=f"Förvaltning {i}", name_en=f"Dept {i}")
            for i in range(1, DEPARTMENTS + 1)
        ]
        from tests.factories import make_user

        admin = make_user("bench-admin@example.fi", role=roles.CITY_ADMIN, is_staff=True)
        category = Category.objects.get_or_create(
            slug="litter", defaults={"name_fi": "Roskat", "name_sv": "Skräp", "name_en": "Litter"}
        )[0]
        first_user = User.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
        insert_select(
            User,
            str(RESIDENTS),
            {
                "email": "'resident' || g || '@example.fi'",
                "display_name": "'Resident ' || g",
                "handle": "'resident-' || g",
                "date_joined": "now()",
                "password": "'!'",
            },
        )
        first_task = 1
        insert_select(
            Task,
            str(TASKS),
            {
                "id": "g",
                "kind": "'city'",
                "department_id": f"{departments[0].pk} + (g % {DEPARTMENTS})",
                "created_by_id": str(admin.pk),
                "category_id": str(category.pk),
                "title": "'Litter pick ' || g",
                "description": "'Pick litter.'",
                "reward_cents": "500",
                "slots": str(SLOTS),
                "slots_left": "0",
                "deadline": "now()",
                "status": "'closed'",
                "escrow_funded": "true",
                "created_at": f"now() - interval '{DAYS} days' + (g * interval '{DAYS * 86400 // TASKS} seconds')",
                "updated_at": "now()",
                "published_at": f"now() - interval '{DAYS} days' + (g * interval '{DAYS * 86400 // TASKS} seconds')",
                "photo_count": "1",
            },
        )
        execute(f"SELECT setval(pg_get_serial_sequence('tasks_task', 'id'), {TASKS})")
        # Claim g belongs to task (g-1)/SLOTS+1 and resident (g % RESIDENTS); approved a day after publishing.
        task_of = f"((g - 1) / {SLOTS} + {first_task})"
        resident_of = f"({first_user} + (g % {RESIDENTS}))"
        when = f"(now() - interval '{DAYS} days' + (g * interval '{DAYS * 86400 // PROOFS} seconds'))"
        insert_select(
            Claim,
            str(PROOFS),
            {
                "id": "g",
                "task_id": task_of,
                "resident_id": resident_of,
                "status": "'approved'",
                "reward_cents": "500",
                "claimed_at": when,
                "expires_at": f"{when} + interval '1 day'",
                "submitted_at": when,
                "ended_at": when,
            },
        )
        insert_select(
            Proof,
            str(PROOFS),
            {
                "id": "g",
                "claim_id": "g",
                "task_id": task_of,
                "resident_id": resident_of,
                "department_id": f"{departments[0].pk} + ({task_of} % {DEPARTMENTS})",
                "status": "'approved'",
                "flags": "'[]'::jsonb",
                "queue_reasons": "'[]'::jsonb",
                "audit_sample": "(g % 10 = 0)",
                "submission_key": "'bench-' || g",
                "submitted_at": when,
                "decided_at": when,
                "reward_transaction_id": "NULL",
            },
        )
        insert_select(
            Decision,
            str(PROOFS),
            {
                "id": "g",
                "proof_id": "g",
                "decided_by_id": f"CASE WHEN g % 20 < 5 THEN {admin.pk} ELSE NULL END",
                "how": "CASE WHEN g % 20 < 5 THEN 'human' WHEN g % 20 = 5 THEN 'peer' ELSE 'auto' END",
                "outcome": "CASE WHEN g % 100 = 0 THEN 'rejected' ELSE 'approved' END",
                "reason_code": "CASE WHEN g % 100 = 0 THEN 3 ELSE NULL END",
                "seconds": "CASE WHEN g % 20 < 5 THEN 20 + (g % 101) ELSE NULL END",
                "created_at": when,
            },
        )
        insert_select(
            ScreeningDecision,
            str(TASKS),
            {
                "task_id": "g",
                "created_at": f"now() - interval '{DAYS} days' + (g * interval '{DAYS * 86400 // TASKS} seconds')",
                "outcome": "CASE WHEN g % 50 = 0 THEN 'block' WHEN g % 25 = 0 THEN 'review' ELSE 'allow' END",
                "inputs": "'{}'::jsonb",
                "fired_rules": "CASE WHEN g % 25 = 0 THEN '[{\"code\": \"cleaning-fi\"}]'::jsonb ELSE '[]'::jsonb END",
            },
        )
        build_ledger(now=now, departments=departments, first_user=first_user)
        for table in ("people_user", "tasks_claim", "verification_proof", "verification_decision"):
            execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    execute("ANALYZE")
    log(
        f"built in {time.perf_counter() - began:.0f} s: {Entry.objects.count():,} entries, "
        f"{Transaction.objects.count():,} transactions, {Account.objects.count():,} accounts, "
        f"{Proof.objects.count():,} proofs"
    )


def build_ledger(*, now, departments, first_user) -> None:
    """Accounts, then a staging table of (transaction id, debit account, credit account, amount, code),
    then the transactions and their entries with versions and running balances from window functions."""
    execute(
        """INSERT INTO wallet_account (kind, owner_key, debits_posted, credits_posted, version, allow_negative,
                                       closed, created_at)
           VALUES ('city_issuance', 'city', 0, 0, 0, true, false, now()),
                  ('card_issuance', 'card', 0, 0, 0, true, false, now())"""
    )
    execute(
        """INSERT INTO wallet_account (kind, owner_key, debits_posted, credits_posted, version, allow_negative,
                                       closed, created_at)
           SELECT 'budget', 'department:' || id, 0, 0, 0, false, false, now() FROM people_department"""
    )
    execute(
        """INSERT INTO wallet_account (kind, owner_key, debits_posted, credits_posted, version, allow_negative,
                                       closed, created_at, funded_from_id)
           SELECT 'escrow', 'task:' || t.id, 0, 0, 0, false, true, now(), b.id
           FROM tasks_task t
           JOIN wallet_account b ON b.kind = 'budget' AND b.owner_key = 'department:' || t.department_id"""
    )
    execute(
        f"""INSERT INTO wallet_account (kind, owner_key, debits_posted, credits_posted, version, allow_negative,
                                        closed, created_at)
            SELECT 'wallet', 'user:' || id, 0, 0, 0, false, false, now() FROM people_user WHERE id >= {first_user}"""
    )
    execute("CREATE TEMP TABLE bench_tx (id bigint, debit bigint, credit bigint, amount bigint, code text)")
    # Phase 1: the city funds each budget with exactly what its tasks need.
    execute(
        """INSERT INTO bench_tx SELECT row_number() OVER (ORDER BY b.id), c.id, b.id, s.need, 'fund_department'
           FROM wallet_account b JOIN wallet_account c ON c.kind = 'city_issuance'
           JOIN (SELECT department_id, sum(reward_cents * slots) AS need FROM tasks_task GROUP BY department_id) s
             ON b.owner_key = 'department:' || s.department_id
           WHERE b.kind = 'budget'"""
    )
    # Phase 2: each task's escrow is funded from its budget; phase 3: each approved claim is paid from it.
    execute(
        """INSERT INTO bench_tx SELECT (SELECT max(id) FROM bench_tx) + row_number() OVER (ORDER BY e.id),
                  e.funded_from_id, e.id, t.reward_cents * t.slots, 'fund_escrow'
           FROM wallet_account e JOIN tasks_task t ON e.owner_key = 'task:' || t.id WHERE e.kind = 'escrow'"""
    )
    execute(
        """INSERT INTO bench_tx SELECT (SELECT max(id) FROM bench_tx) + row_number() OVER (ORDER BY c.id),
                  e.id, w.id, c.reward_cents, 'pay_reward'
           FROM tasks_claim c JOIN wallet_account e ON e.owner_key = 'task:' || c.task_id AND e.kind = 'escrow'
           JOIN wallet_account w ON w.owner_key = 'user:' || c.resident_id AND w.kind = 'wallet'"""
    )
    # Phase 4: every resident tops up 1,000 eRaha with a card, enough for every payment that follows.
    execute(
        """INSERT INTO bench_tx SELECT (SELECT max(id) FROM bench_tx) + row_number() OVER (ORDER BY w.id),
                  c.id, w.id, 100000, 'card_top_up'
           FROM wallet_account w JOIN wallet_account c ON c.kind = 'card_issuance' WHERE w.kind = 'wallet'"""
    )
    # Phase 5: neighbour payments of 0,01-1,00 between distinct residents up to TRANSACTIONS in all.
    # Every hundredth payment is within one of 50 fixed pairs, alternating direction, so the integrity
    # signal "pays each other back and forth" has something to find.
    execute(
        f"""INSERT INTO bench_tx
            SELECT base + g,
                   w0 + CASE WHEN g % 100 = 0 THEN 2 * ((g / 100) % 50) + (g / 5000) % 2 ELSE a END,
                   w0 + CASE WHEN g % 100 = 0 THEN 2 * ((g / 100) % 50) + 1 - (g / 5000) % 2
                        ELSE (a + 1 + (g * 7919) % ({RESIDENTS} - 1)) % {RESIDENTS} END,
                   1 + (g * 37) % 100, 'pay_neighbour'
            FROM (SELECT (SELECT max(id) FROM bench_tx) AS base,
                         (SELECT min(id) FROM wallet_account WHERE kind = 'wallet') AS w0,
                         {TRANSACTIONS} - (SELECT count(*) FROM bench_tx) AS n) k,
                 LATERAL generate_series(1, k.n) AS g,
                 LATERAL (SELECT (g * 104729) % {RESIDENTS} AS a) x"""
    )
    total = "(SELECT max(id) FROM bench_tx)"
    execute(
        f"""INSERT INTO wallet_transaction (id, code, idempotency_key, fingerprint, memo, created_at)
            SELECT id, code, 'bench:' || id, 'bench', '',
                   now() - interval '{DAYS} days' + id * (interval '{DAYS} days' / {total})
            FROM bench_tx ORDER BY id"""
    )
    execute(
        """INSERT INTO wallet_entry (transaction_id, account_id, amount, account_version, balance_after)
           SELECT tx, account, amount,
                  row_number() OVER (PARTITION BY account ORDER BY tx, amount),
                  sum(amount) OVER (PARTITION BY account ORDER BY tx, amount ROWS UNBOUNDED PRECEDING)
           FROM (SELECT id AS tx, debit AS account, -amount AS amount FROM bench_tx
                 UNION ALL SELECT id, credit, amount FROM bench_tx) legs
           ORDER BY tx, amount"""
    )
    execute(
        """UPDATE wallet_account a SET credits_posted = s.credits, debits_posted = s.debits, version = s.n
           FROM (SELECT account_id, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS credits,
                        coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS debits, count(*) AS n
                 FROM wallet_entry GROUP BY account_id) s
           WHERE a.id = s.account_id"""
    )
    execute(
        "SELECT setval(pg_get_serial_sequence('wallet_transaction', 'id'), (SELECT max(id) FROM wallet_transaction))"
    )


def median_seconds(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    ensure_database()
    setup_django()
    build_data()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from people.models import User
    from wallet.audit import run_audit

    if os.environ.get("BENCH_AUDIT", "1") == "1":
        began = time.perf_counter()
        violations = run_audit()
        log(f"ledger audit: {len(violations)} violations ({time.perf_counter() - began:.1f} s)")
        for violation in violations:
            log(str(violation)[:500])
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    client = Client()
    client.force_login(User.objects.get(email="bench-admin@example.fi"))

    def total():
        with connection.cursor() as cursor:
            cursor.execute("SELECT SUM(amount) FROM wallet_entry")
            cursor.fetchone()

    def page(params=None):
        response = client.get("/staff/dashboard/", params or {})
        assert response.status_code == 200, response.status_code

    today = timezone.localdate()
    year = {"start": (today - timezone.timedelta(days=364)).isoformat(), "end": today.isoformat()}
    total(), page(), page(year)  # warm up caches and connections
    sum_s = median_seconds(total, ROUNDS)
    page_s = median_seconds(page, ROUNDS)
    year_s = median_seconds(lambda: page(year), max(1, ROUNDS // 2))
    ratio = page_s / sum_s
    log(f"SELECT SUM(amount) over {ROUNDS} runs: median {sum_s * 1000:.1f} ms")
    log(f"dashboard (last 30 days, city-wide): median {page_s * 1000:.1f} ms")
    log(f"dashboard (whole year, city-wide, for information): median {year_s * 1000:.1f} ms = {year_s / sum_s:.2f}x")
    log(f"RESULT dashboard ratio_vs_sum={ratio:.2f} goal={GOAL:g} ok={'yes' if ratio <= GOAL else 'no'}")


if __name__ == "__main__":
    main()
