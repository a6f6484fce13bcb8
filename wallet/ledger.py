"""The one function that posts money: every eRaha movement in the product goes through post_transaction.

Guarantees, on SQLite and PostgreSQL alike:
- idempotency: the same key with the same request returns the first Transaction; the same key with a
  different request raises IdempotencyConflict (compared by a fingerprint of the request);
- every account of the posting is locked in one query in primary-key order, so two postings never
  deadlock on each other;
- limits: non-negative accounts never go below zero (checked here and by a database CHECK), closed
  accounts take nothing, amounts are integers within bounds, legs are non-zero and sum to zero;
- all or nothing, with a bounded retry on deadlock and serialization failures.

On PostgreSQL one posting is one statement (the wallet_post() function from migration 0002), so from an
autocommit connection it costs one database round trip; inside an outer atomic() it runs in a savepoint.
On SQLite it is the ORM path below inside atomic(); the connection's transaction_mode="IMMEDIATE" takes the
write lock at BEGIN, which serialises writers.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

try:
    import psycopg
    from psycopg import errors as psycopg_errors
    from psycopg import pq
    from psycopg.types.numeric import Int8
except ImportError:  # an SQLite-only installation
    psycopg = psycopg_errors = pq = Int8 = None
from django.conf import settings
from django.db import DatabaseError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from wallet.exceptions import (
    AccountClosed,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
)
from wallet.models import (
    CARD_OWNER,
    CITY_OWNER,
    ISSUANCE_KINDS,
    Account,
    AccountKind,
    Entry,
    Transaction,
)

MAX_ATTEMPTS = 5
# A single leg above this is a bug or an attack, not a payment (ten million eRaha).
MAX_AMOUNT = 10_000_000 * 100
RETRYABLE_SQLSTATES = {"40P01", "40001"}
_KINDS = frozenset(AccountKind.values)


@dataclass(frozen=True, order=True)
class AccountRef:
    """Names an account without loading it: kind plus owner key ("user:12", "department:3", "task:42")."""

    kind: str
    owner_key: str


@dataclass(frozen=True)
class Leg:
    """One side of a posting: positive amount credits the account, negative debits it (cents)."""

    account: AccountRef
    amount: int


CITY_ISSUANCE = AccountRef(AccountKind.CITY_ISSUANCE.value, CITY_OWNER)
CARD_ISSUANCE = AccountRef(AccountKind.CARD_ISSUANCE.value, CARD_OWNER)


def user_key(user) -> str:
    return f"user:{user.pk}"


def department_key(department) -> str:
    return f"department:{department.pk}"


def wallet_ref(user) -> AccountRef:
    return AccountRef(AccountKind.WALLET.value, user_key(user))


def budget_ref(department) -> AccountRef:
    return AccountRef(AccountKind.BUDGET.value, department_key(department))


def escrow_ref(task_key: str) -> AccountRef:
    _check_owner_key(task_key, "task:")
    return AccountRef(AccountKind.ESCROW.value, task_key)


def liability_ref(partner_key: str) -> AccountRef:
    _check_owner_key(partner_key, "partner:")
    return AccountRef(AccountKind.VOUCHER_LIABILITY.value, partner_key)


def payable_ref(partner_key: str) -> AccountRef:
    _check_owner_key(partner_key, "partner:")
    return AccountRef(AccountKind.PARTNER_PAYABLE.value, partner_key)


def _check_owner_key(key: str, prefix: str) -> None:
    if not isinstance(key, str) or not key.startswith(prefix) or len(key) <= len(prefix) or len(key) > 64:
        raise ValueError(f"Expected an owner key like {prefix}42, got {key!r}.")


def transfer_legs(source: AccountRef, destination: AccountRef, amount: int) -> list[Leg]:
    return [Leg(source, -amount), Leg(destination, amount)]


def check_amount(amount) -> int:
    """A positive integer number of cents, or InvalidAmount."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidAmount()
    return amount


def fingerprint(*, code: str, legs: Sequence[Leg], memo: str = "", actor_id=None, reverses_id=None) -> str:
    request = {
        "code": str(code),
        "legs": sorted([leg.account.kind, leg.account.owner_key, leg.amount] for leg in legs),
        "memo": memo,
        "actor": actor_id,
        "reverses": reverses_id,
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def find_replay(*, idempotency_key: str, request_fingerprint: str) -> Transaction | None:
    """The transaction already posted under this key (same request), None if none; conflict otherwise."""
    existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and existing.fingerprint != request_fingerprint:
        raise IdempotencyConflict()
    return existing


def _validate(code: str, legs: Sequence[Leg], idempotency_key: str, memo: str) -> None:
    if not isinstance(idempotency_key, str) or not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("An idempotency key of 1 to 200 characters is required.")
    if len(memo) > 200:
        raise LedgerError()
    if len(legs) < 2:
        raise ValueError("A transaction needs at least two legs.")
    for leg in legs:
        amount = leg.amount
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidAmount()
        if leg.account.kind not in _KINDS:
            raise ValueError(f"Unknown account kind {leg.account.kind!r}.")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError("The legs of a transaction must sum to zero.")
    if len({leg.account for leg in legs}) != len(legs):
        raise ValueError("An account may appear only once in a transaction.")


def post_transaction(
    *,
    code: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    memo: str = "",
    actor=None,
    reverses: Transaction | None = None,
    now=None,
) -> Transaction:
    """Posts one balanced transaction, or returns the one already posted under idempotency_key.

    Runs in its own atomic() (a savepoint inside an outer one); locks every account of the legs in one
    query, by pk. Raises InsufficientFunds, AccountClosed, InvalidAmount, IdempotencyConflict,
    AlreadyReversed; nothing is written when it raises.
    """
    memo = memo or ""
    _validate(code, legs, idempotency_key, memo)
    now = now or timezone.now()
    actor_id = actor.pk if actor is not None else None
    reverses_id = reverses.pk if reverses is not None else None
    request = fingerprint(code=code, legs=legs, memo=memo, actor_id=actor_id, reverses_id=reverses_id)
    connection = transaction.get_connection()
    post = _post_postgres if connection.vendor == "postgresql" else _post_orm
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            posted = post(
                connection=connection,
                code=str(code),
                legs=legs,
                key=idempotency_key,
                request=request,
                memo=memo,
                actor_id=actor_id,
                reverses_id=reverses_id,
                now=now,
            )
            break
        except OperationalError as exc:
            if attempt == MAX_ATTEMPTS or not _retryable(exc):
                raise
            # Another posting won a lock race (deadlock victim or serialization failure): try again shortly.
            time.sleep(0.005 * attempt)
    if posted.fingerprint != request:
        raise IdempotencyConflict()
    return posted


def _retryable(exc: Exception) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc)


_POST_SQL = (
    "SELECT * FROM wallet_post(%s, %s, %s, %s, %s::bigint, %s::bigint, %s, %s::text[], %s::text[], %s::bigint[])"
)
_TRANSACTION_FIELDS = [field.attname for field in Transaction._meta.concrete_fields]


def _post_postgres(*, connection, code, legs, key, request, memo, actor_id, reverses_id, now) -> Transaction:
    params = (
        key,
        request,
        code,
        memo,
        actor_id,
        reverses_id,
        now,
        [leg.account.kind for leg in legs],
        [leg.account.owner_key for leg in legs],
        [Int8(leg.amount) for leg in legs],
    )
    try:
        if connection.in_atomic_block or not connection.get_autocommit():
            with transaction.atomic():
                values = _execute(connection, params)
        elif _can_use_libpq(connection, params):
            # Autocommit: the single statement is its own transaction, so one round trip in all.
            values = _execute_libpq(connection, params)
        else:
            values = _execute(connection, params)
    except OperationalError:
        raise
    except DatabaseError as exc:
        raise _translate(exc) from exc
    return Transaction.from_db(connection.alias, _TRANSACTION_FIELDS, values)


def _execute(connection, params) -> list:
    """Runs wallet_post() and returns the transaction row in model field order.

    The fast path keeps one server-side-binding cursor per connection and a prepared statement, so
    Python neither quotes parameters into SQL text nor rebuilds column metadata on every posting. When
    queries are being logged (DEBUG, or a test counting queries) Django's own cursor is used instead.
    """
    if connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(_POST_SQL, params)
            row = cursor.fetchone()
            names = [column.name for column in cursor.description]
        return [row[names.index(name)] for name in _TRANSACTION_FIELDS]
    connection.ensure_connection()
    raw = connection.connection
    cached = getattr(connection, "_wallet_post", None)
    with connection.wrap_database_errors:
        if cached is None or cached[0] is not raw or cached[1].closed:
            if settings.LEDGER_PREPARED_STATEMENTS and raw.prepare_threshold is None:
                # Django leaves prepared statements off (for PgBouncer in transaction mode); only
                # server-binding cursors prepare, and this is the only one, so it affects this call alone.
                raw.prepare_threshold = 1
            cursor = psycopg.Cursor(raw)
            cursor.execute(_POST_SQL, params, prepare=True)
            row = cursor.fetchone()
            names = [column.name for column in cursor.description]
            order = [names.index(name) for name in _TRANSACTION_FIELDS]
            connection._wallet_post = (raw, cursor, order)
        else:
            _raw, cursor, order = cached
            cursor.execute(_POST_SQL, params, prepare=True)
            row = cursor.fetchone()
    return [row[index] for index in order]


_LIBPQ_NAME = b"eraha_wallet_post_v1"
_LIBPQ_SQL = (
    b"SELECT id, code, idempotency_key, fingerprint, memo, actor_id, reverses_id, "
    b"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') "
    b"FROM wallet_post($1, $2, $3, $4, $5::bigint, $6::bigint, $7::timestamptz, $8::text[], $9::text[], $10::bigint[])"
)


def _can_use_libpq(connection, params) -> bool:
    if psycopg is None or not settings.LEDGER_PREPARED_STATEMENTS or connection.queries_logged:
        return False
    # Text parameters go to libpq as C strings: leave anything unusual to the regular cursor.
    return not any("\x00" in value for value in (*params[:4], *params[7], *params[8]))


def _text_array(values) -> bytes:
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return ("{" + ",".join(quoted) + "}").encode()


def _execute_libpq(connection, params) -> list:
    """The hot path in autocommit mode: one prepared statement straight through libpq.

    psycopg's cursor machinery costs about as much client CPU as the whole posting costs the server; on a
    small machine shared with the database that halves the throughput. Parameters and the result row are
    plain text here, so there is nothing to adapt. Only used outside atomic() (no transaction to begin).
    """
    connection.ensure_connection()
    raw = connection.connection
    pgconn = raw.pgconn
    key, request, code, memo, actor_id, reverses_id, now, kinds, owners, amounts = params
    values = [
        key.encode(),
        request.encode(),
        code.encode(),
        memo.encode(),
        None if actor_id is None else str(actor_id).encode(),
        None if reverses_id is None else str(reverses_id).encode(),
        now.isoformat().encode(),
        _text_array(kinds),
        _text_array(owners),
        ("{" + ",".join(str(int(amount)) for amount in amounts) + "}").encode(),
    ]
    with connection.wrap_database_errors:
        if getattr(connection, "_wallet_libpq", None) is not raw:
            prepared = pgconn.prepare(_LIBPQ_NAME, _LIBPQ_SQL)
            if (
                prepared.status != pq.ExecStatus.COMMAND_OK
                and prepared.error_field(pq.DiagnosticField.SQLSTATE) != b"42P05"
            ):  # already prepared on this session
                raise psycopg_errors.error_from_result(prepared, encoding="utf-8")
            connection._wallet_libpq = raw
        result = pgconn.exec_prepared(_LIBPQ_NAME, values)
        if result.status != pq.ExecStatus.TUPLES_OK:
            raise psycopg_errors.error_from_result(result, encoding="utf-8")
    row = [result.get_value(0, column) for column in range(8)]
    return [
        int(row[0]),
        row[1].decode(),
        row[2].decode(),
        row[3].decode(),
        row[4].decode(),
        None if row[5] is None else int(row[5]),
        None if row[6] is None else int(row[6]),
        datetime.datetime.fromisoformat(row[7].decode() + "+00:00"),
    ]


def _translate(exc: DatabaseError) -> Exception:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if sqlstate == "23514" and constraint == "wallet_account_non_negative":
        return InsufficientFunds()
    if sqlstate == "ER002":
        return AccountClosed()
    if sqlstate == "ER001":
        return InvalidAmount()
    if sqlstate == "23505" and constraint and "reverses" in constraint:
        return AlreadyReversed()
    return exc


def lock_accounts(refs: Sequence[AccountRef], *, now=None) -> dict[AccountRef, Account]:
    """Locks (creating missing ones) the accounts in one query, ordered by pk. Call inside atomic()."""
    now = now or timezone.now()
    by_kind: dict[str, list[str]] = {}
    for ref in refs:
        by_kind.setdefault(ref.kind, []).append(ref.owner_key)
    condition = Q()
    for kind, owners in by_kind.items():
        condition |= Q(kind=kind, owner_key__in=owners)
    locked = list(Account.objects.select_for_update().filter(condition).order_by("pk"))
    if len(locked) < len(set(refs)):
        present = {AccountRef(a.kind, a.owner_key) for a in locked}
        Account.objects.bulk_create(
            [
                Account(
                    kind=ref.kind, owner_key=ref.owner_key, allow_negative=ref.kind in ISSUANCE_KINDS, created_at=now
                )
                for ref in sorted(set(refs) - present)
            ],
            ignore_conflicts=True,
        )
        locked = list(Account.objects.select_for_update().filter(condition).order_by("pk"))
    return {AccountRef(a.kind, a.owner_key): a for a in locked}


def _post_orm(*, connection, code, legs, key, request, memo, actor_id, reverses_id, now) -> Transaction:
    with transaction.atomic():
        existing = Transaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        if reverses_id is not None and Transaction.objects.filter(reverses_id=reverses_id).exists():
            raise AlreadyReversed()
        accounts = lock_accounts([leg.account for leg in legs], now=now)
        for leg in legs:
            account = accounts[leg.account]
            if account.closed:
                raise AccountClosed()
            if not account.allow_negative and account.balance + leg.amount < 0:
                raise InsufficientFunds()
        posted = Transaction.objects.create(
            code=code,
            idempotency_key=key,
            fingerprint=request,
            memo=memo,
            actor_id=actor_id,
            reverses_id=reverses_id,
            created_at=now,
        )
        entries = []
        for leg in sorted(legs, key=lambda leg: accounts[leg.account].pk):
            account = accounts[leg.account]
            if leg.amount > 0:
                account.credits_posted += leg.amount
            else:
                account.debits_posted -= leg.amount
            account.version += 1
            account.save(update_fields=["credits_posted", "debits_posted", "version"])
            entries.append(
                Entry(
                    transaction=posted,
                    account=account,
                    amount=leg.amount,
                    account_version=account.version,
                    balance_after=account.balance,
                )
            )
        Entry.objects.bulk_create(entries)
    return posted
