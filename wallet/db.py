"""Database-side guards of the ledger: append-only triggers and the PostgreSQL posting function.

The SQL lives here so the migration and the tests share it. Entries and transactions refuse UPDATE and
DELETE in the database itself, on both SQLite and PostgreSQL, so no code path (admin, shell, raw SQL by
mistake) can rewrite history; a mistake is fixed by a reversing transaction.

SQLite has no way to switch a trigger off for one session, so its DELETE triggers ask the function
eraha_ledger_unlocked(), which Django registers on every SQLite connection and which answers 0 unless
`unlock_for_flush()` was called. Only the test suite uses that, to empty the tables between
transactional tests (PostgreSQL empties them with TRUNCATE, which row triggers do not see). A client
without the function (the sqlite3 shell) fails with "no such function", so the delete is refused there too.
"""

from __future__ import annotations

import threading

_state = threading.local()


def _unlocked() -> int:
    return 1 if getattr(_state, "unlocked", False) else 0


def unlock_for_flush() -> None:
    """Lets the test suite empty the ledger tables on SQLite (between transactional tests only)."""
    _state.unlocked = True


def lock_after_flush() -> None:
    _state.unlocked = False


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("eraha_ledger_unlocked", 0, _unlocked)


APPEND_ONLY_TABLES = ("wallet_transaction", "wallet_entry")


def sqlite_trigger_sql() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'eRaha ledger: {table} is append-only'); END"
        )
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN eraha_ledger_unlocked() = 0 "
            f"BEGIN SELECT RAISE(ABORT, 'eRaha ledger: {table} is append-only'); END"
        )
    return statements


def sqlite_drop_trigger_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {t}_{op}" for t in APPEND_ONLY_TABLES for op in ("no_update", "no_delete")]


POSTGRES_TRIGGER_SQL = [
    """
    CREATE OR REPLACE FUNCTION wallet_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'eRaha ledger: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    *(
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION wallet_append_only()"
        for table in APPEND_ONLY_TABLES
    ),
]

POSTGRES_DROP_TRIGGER_SQL = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY_TABLES),
    "DROP FUNCTION IF EXISTS wallet_append_only()",
]

# One posting in one statement, hence one round trip from an autocommit connection. It:
# 1. inserts the transaction; a concurrent request with the same key waits on the unique index and then
#    gets the first request's row back (the caller compares fingerprints: replay or conflict);
# 2. in one statement, locks every account of the legs in primary-key order, moves the counters, bumps
#    the versions and inserts the entries with each account's new version and balance; the CHECK
#    constraint wallet_account_non_negative refuses an overdraft, which rolls everything back;
# 3. on an account's first use, creates it and posts to it the same way;
# 4. refuses closed accounts (SQLSTATE ER002), rolling everything back.
POSTGRES_POST_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION wallet_post(
    p_key text, p_fingerprint text, p_code text, p_memo text, p_actor bigint, p_reverses bigint,
    p_now timestamptz, p_kinds text[], p_owners text[], p_amounts bigint[]
) RETURNS SETOF wallet_transaction LANGUAGE plpgsql
-- Generic plans: with array parameters PostgreSQL would otherwise re-plan every statement on every call
-- (custom plans), which doubled the cost of a posting. The generic plans use the unique indexes.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    t wallet_transaction;
    wanted int := coalesce(cardinality(p_amounts), 0);
    moved_count int;
    any_closed boolean;
BEGIN
    IF wanted < 2 OR cardinality(p_kinds) <> wanted OR cardinality(p_owners) <> wanted THEN
        RAISE EXCEPTION 'eRaha ledger: a transaction needs at least two legs' USING ERRCODE = 'ER001';
    END IF;
    IF wanted = 2 THEN
        IF p_amounts[1] = 0 OR p_amounts[1] <> -p_amounts[2] THEN
            RAISE EXCEPTION 'eRaha ledger: legs must be non-zero and sum to zero' USING ERRCODE = 'ER001';
        END IF;
    ELSIF (SELECT sum(a) <> 0 OR bool_or(a = 0) FROM unnest(p_amounts) a) THEN
        RAISE EXCEPTION 'eRaha ledger: legs must be non-zero and sum to zero' USING ERRCODE = 'ER001';
    END IF;
    INSERT INTO wallet_transaction (code, idempotency_key, fingerprint, memo, actor_id, reverses_id, created_at)
    VALUES (p_code, p_key, p_fingerprint, p_memo, p_actor, p_reverses, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO t;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM wallet_transaction WHERE idempotency_key = p_key;
        RETURN;
    END IF;
    -- Lock the accounts in id order, move the counters and write the entries: one statement.
    WITH legs AS (
        SELECT * FROM unnest(p_kinds, p_owners, p_amounts) AS l(kind, owner_key, amount)
    ), locked AS (
        SELECT a.id, a.closed, l.amount FROM wallet_account a
        JOIN legs l ON a.kind = l.kind AND a.owner_key = l.owner_key
        ORDER BY a.id FOR UPDATE OF a
    ), moved AS (
        UPDATE wallet_account a SET
            debits_posted = a.debits_posted + greatest(-k.amount, 0),
            credits_posted = a.credits_posted + greatest(k.amount, 0),
            version = a.version + 1
        FROM locked k
        WHERE a.id = k.id
        RETURNING a.id, a.version, a.credits_posted - a.debits_posted AS balance, k.amount, k.closed
    ), entries AS (
        INSERT INTO wallet_entry (transaction_id, account_id, amount, account_version, balance_after)
        SELECT t.id, m.id, m.amount, m.version, m.balance FROM moved m
    )
    SELECT count(*), coalesce(bool_or(m.closed), false) INTO moved_count, any_closed FROM moved m;
    IF moved_count < wanted THEN
        -- First use of an account: create the missing ones, then post to them the same way.
        INSERT INTO wallet_account
            (kind, owner_key, debits_posted, credits_posted, version, allow_negative, closed, created_at)
        SELECT k, o, 0, 0, 0, k IN ('city_issuance', 'card_issuance'), false, p_now
        FROM unnest(p_kinds, p_owners) AS u(k, o)
        ORDER BY k, o
        ON CONFLICT (kind, owner_key) DO NOTHING;
        WITH legs AS (
            SELECT * FROM unnest(p_kinds, p_owners, p_amounts) AS l(kind, owner_key, amount)
        ), locked AS (
            SELECT a.id, a.closed, l.amount FROM wallet_account a
            JOIN legs l ON a.kind = l.kind AND a.owner_key = l.owner_key
            WHERE NOT EXISTS (SELECT 1 FROM wallet_entry e WHERE e.transaction_id = t.id AND e.account_id = a.id)
            ORDER BY a.id FOR UPDATE OF a
        ), moved AS (
            UPDATE wallet_account a SET
                debits_posted = a.debits_posted + greatest(-k.amount, 0),
                credits_posted = a.credits_posted + greatest(k.amount, 0),
                version = a.version + 1
            FROM locked k
            WHERE a.id = k.id
            RETURNING a.id, a.version, a.credits_posted - a.debits_posted AS balance, k.amount, k.closed
        ), entries AS (
            INSERT INTO wallet_entry (transaction_id, account_id, amount, account_version, balance_after)
            SELECT t.id, m.id, m.amount, m.version, m.balance FROM moved m
        )
        SELECT moved_count + count(*), any_closed OR coalesce(bool_or(m.closed), false)
        INTO moved_count, any_closed FROM moved m;
        IF moved_count < wanted THEN
            RAISE EXCEPTION 'eRaha ledger: the same account appears twice' USING ERRCODE = 'ER001';
        END IF;
    END IF;
    IF any_closed THEN
        RAISE EXCEPTION 'eRaha ledger: account closed' USING ERRCODE = 'ER002';
    END IF;
    RETURN NEXT t;
END
$$
"""

POSTGRES_DROP_POST_FUNCTION_SQL = (
    "DROP FUNCTION IF EXISTS wallet_post(text, text, text, text, bigint, bigint, timestamptz, text[], text[], bigint[])"
)


def guards_present(connection) -> list[str]:
    """Names of the append-only triggers missing from the database (empty when all are in place)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgname LIKE 'wallet_%'"
            )
            wanted = {f"{table}_append_only" for table in APPEND_ONLY_TABLES}
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'wallet_%'")
            wanted = {f"{t}_{op}" for t in APPEND_ONLY_TABLES for op in ("no_update", "no_delete")}
        else:
            return []
        present = {row[0] for row in cursor.fetchall()}
    return sorted(wanted - present)


def install_guards(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in [*POSTGRES_TRIGGER_SQL, POSTGRES_POST_FUNCTION_SQL]:
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for sql in sqlite_trigger_sql():
            schema_editor.execute(sql, params=None)


def remove_guards(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in [POSTGRES_DROP_POST_FUNCTION_SQL, *POSTGRES_DROP_TRIGGER_SQL]:
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for sql in sqlite_drop_trigger_sql():
            schema_editor.execute(sql, params=None)
