"""Ledger admin: read-only lists, funding and reversal through the services, city administrators only."""

from __future__ import annotations

from django.urls import reverse

from wallet import services
from wallet.models import Transaction, TransactionCode


def test_a_city_administrator_sees_accounts_and_transactions_read_only(client, city_admin, parks):
    posted = services.fund_department(department=parks, amount=10_00, actor=city_admin, idempotency_key="f1")
    client.force_login(city_admin)
    assert client.get(reverse("admin:wallet_account_changelist")).status_code == 200
    assert client.get(reverse("admin:wallet_transaction_changelist")).status_code == 200
    page = client.get(reverse("admin:wallet_transaction_change", args=[posted.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:wallet_transaction_delete", args=[posted.pk]), {"post": "yes"}).status_code == 403


def test_a_city_administrator_funds_a_department_once_per_form(client, city_admin, parks):
    client.force_login(city_admin)
    url = reverse("admin:wallet_account_fund_department")
    assert client.get(url).status_code == 200
    data = {"department": parks.pk, "amount": "1 000,50", "idempotency_key": "abc"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert services.department_balance(department=parks) == 1_000_50


def test_funding_refuses_a_bad_amount(client, city_admin, parks):
    client.force_login(city_admin)
    response = client.post(
        reverse("admin:wallet_account_fund_department"),
        {"department": parks.pk, "amount": "-1", "idempotency_key": "a"},
    )
    assert response.status_code == 200 and services.department_balance(department=parks) == 0


def test_staff_without_the_city_permission_cannot_fund_or_reverse(client, publisher, city_admin, parks):
    posted = services.fund_department(department=parks, amount=10_00, actor=city_admin, idempotency_key="f1")
    publisher.is_staff = True
    publisher.save(update_fields=["is_staff"])
    client.force_login(publisher)
    data = {"department": parks.pk, "amount": "5", "idempotency_key": "abc"}
    assert client.post(reverse("admin:wallet_account_fund_department"), data).status_code == 403
    url = reverse("admin:wallet_transaction_reverse", args=[posted.pk])
    assert client.post(url, {"reason": "x", "idempotency_key": "k"}).status_code == 403
    assert client.get(reverse("admin:wallet_transaction_changelist")).status_code == 403
    assert services.department_balance(department=parks) == 10_00


def test_a_city_administrator_reverses_a_transaction_with_a_reason(client, city_admin, resident):
    paid = services.credit_card_top_up(resident=resident, amount=5_00, idempotency_key="t1")
    client.force_login(city_admin)
    changelist = reverse("admin:wallet_transaction_changelist")
    response = client.post(changelist, {"action": "reverse_selected", "_selected_action": [paid.pk]})
    assert response.status_code == 302 and response["Location"].endswith(f"/{paid.pk}/reverse/")
    assert client.post(response["Location"], {"reason": "", "idempotency_key": "k"}).status_code == 200
    assert client.post(response["Location"], {"reason": "Duplicate payment", "idempotency_key": "k"}).status_code == 302
    reversal = Transaction.objects.get(code=TransactionCode.REVERSAL)
    assert reversal.reverses_id == paid.pk and reversal.actor == city_admin and reversal.memo == "Duplicate payment"
    assert services.wallet_balance(user=resident) == 0
