"""`manage.py ledger_audit`: checks every ledger invariant; exits non-zero with the offending rows."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wallet.audit import run_audit, summary
from wallet.models import AccountKind
from wallet.money import format_eraha


class Command(BaseCommand):
    help = "Checks every invariant of the eRaha ledger and prints a summary; exits non-zero on any violation."

    def handle(self, *args, **options):
        facts = summary()
        self.stdout.write(
            f"Accounts: {facts['accounts']}  transactions: {facts['transactions']}  entries: {facts['entries']}"
        )
        labels = dict(AccountKind.choices)
        for kind, row in facts["per_kind"].items():
            label = str(labels.get(kind, kind))
            self.stdout.write(f"  {label:<30} {row['accounts']:>8} accounts  {format_eraha(row['balance'] or 0)}")
        self.stdout.write(f"Outstanding eRaha owed to residents: {format_eraha(facts['owed_to_residents'])}")
        violations = run_audit()
        if violations:
            for violation in violations:
                self.stderr.write(str(violation))
            raise CommandError(f"Ledger audit FAILED: {len(violations)} invariant(s) violated.")
        self.stdout.write(self.style.SUCCESS("Ledger audit passed: every invariant holds."))
