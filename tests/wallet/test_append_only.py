"""Entries and transactions are append-only in the database itself, and the audit catches tampering."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from wallet import services
from wallet.audit import run_audit
from wallet.db import APPEND_ONLY_TABLES, sqlite_trigger_sql
from wallet.models import Entry


@pytest.fixture
def paid(resident):
    return services.credit_card_top_up(resident=resident, amount=5_00, idempotency_key="t1")


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_a_raw_sql_update_of_the_ledger_fails(paid, table):
    column = "amount" if table == "wallet_entry" else "memo"
    value = "1" if column == "amount" else "'changed'"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {value}")  # noqa: S608


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_a_raw_sql_delete_of_the_ledger_fails(paid, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert Entry.objects.count() == 2


def test_the_orm_cannot_delete_an_entry_either(paid):
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(transaction=paid).delete()


def _set_triggers(enabled: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            verb = "ENABLE" if enabled else "DISABLE"
            # Fire the deferred foreign-key checks first: ALTER TABLE refuses pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE wallet_entry {verb} TRIGGER wallet_entry_append_only")
        elif enabled:
            for sql in sqlite_trigger_sql():
                cursor.execute(sql)
        else:
            cursor.execute("DROP TRIGGER wallet_entry_no_update")


def test_the_audit_detects_a_tampered_entry(paid):
    entry = Entry.objects.filter(transaction=paid, amount__gt=0).get()
    _set_triggers(False)
    try:
        assert [v.check for v in run_audit()] == ["append_only_guards"]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE wallet_entry SET amount = amount + 100 WHERE id = %s", [entry.pk])
        found = {v.check for v in run_audit()}
        assert {"legs_sum_to_zero", "counters_match_entries", "entry_chain"} <= found
        with pytest.raises(Exception, match="FAILED"):
            call_command("ledger_audit")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE wallet_entry SET amount = amount - 100 WHERE id = %s", [entry.pk])
    finally:
        _set_triggers(True)
    assert run_audit() == []


def test_the_audit_detects_a_negative_balance_and_an_unbalanced_total(paid, resident):
    from wallet.models import Account

    with connection.cursor() as cursor:
        # Counters are not append-only, but the CHECK constraint still refuses an overdraft...
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("UPDATE wallet_account SET debits_posted = credits_posted + 1 WHERE kind = 'wallet'")
        # ...and a counter changed behind the ledger's back is caught by the audit.
        cursor.execute("UPDATE wallet_account SET credits_posted = credits_posted + 7 WHERE kind = 'wallet'")
    found = {v.check for v in run_audit()}
    assert {"counters_match_entries", "total_is_zero"} <= found
    Account.objects.filter(kind="wallet").update(credits_posted=5_00)
    assert run_audit() == []


def test_ledger_audit_prints_a_summary_and_passes(paid, capsys):
    call_command("ledger_audit")
    out = capsys.readouterr().out
    assert "Ledger audit passed" in out and "5.00 eRaha" in out.replace(",", ".")


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_post_and_the_tables_are_emptied_after_it(resident):
    # On SQLite the tables are emptied with DELETE after this test; the after-test fixture allows it.
    services.credit_card_top_up(resident=resident, amount=1_00, idempotency_key="t1")
    assert Entry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_starts_with_an_empty_ledger_that_is_locked_again(resident):
    assert Entry.objects.count() == 0
    services.credit_card_top_up(resident=resident, amount=1_00, idempotency_key="t1")
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM wallet_entry")
