"""Funding a department and reversing a transaction in the admin leave a staff audit row."""

from __future__ import annotations

from django.urls import reverse

from people.models import StaffAction
from wallet import services
from wallet.models import Transaction, TransactionCode


def test_funding_a_department_in_the_admin_is_audited(client, city_admin, parks):
    client.force_login(city_admin)
    data = {"department": parks.pk, "amount": "100", "idempotency_key": "abc"}
    client.post(reverse("admin:wallet_account_fund_department"), data)
    funding = Transaction.objects.get(code=TransactionCode.FUND_DEPARTMENT)
    row = StaffAction.objects.get(action="ledger.fund_department")
    assert (row.actor, row.target, row.details) == (
        city_admin,
        f"transaction:{funding.pk}",
        {"department": parks.pk, "amount": 100_00},
    )


def test_a_refused_funding_writes_no_audit_row(client, city_admin, parks):
    client.force_login(city_admin)
    client.post(reverse("admin:wallet_account_fund_department"), {"department": parks.pk, "amount": "-1"})
    assert not StaffAction.objects.exists()


def test_a_reversal_in_the_admin_is_audited_with_its_reason(client, city_admin, resident):
    paid = services.credit_card_top_up(resident=resident, amount=5_00, idempotency_key="t1")
    client.force_login(city_admin)
    url = reverse("admin:wallet_transaction_reverse", args=[paid.pk])
    client.post(url, {"reason": "Duplicate payment", "idempotency_key": "k"})
    reversal = Transaction.objects.get(code=TransactionCode.REVERSAL)
    row = StaffAction.objects.get(action="ledger.reverse")
    assert (row.actor, row.target, row.reason, row.details) == (
        city_admin,
        f"transaction:{paid.pk}",
        "Duplicate payment",
        {"reversal": reversal.pk},
    )
