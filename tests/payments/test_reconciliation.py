"""The reconciliation report for city administrators, and the top-up ledger audit check."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.audit import check_one_credit_per_top_up
from payments.models import TopUp, TopUpStatus
from tests.factories import make_user
from tests.payments.conftest import charge_event, make_top_up, post_event, session_event
from wallet import services as wallet

pytestmark = pytest.mark.django_db


def test_a_city_administrator_sees_stripe_amounts_against_ledger_credits(client, stripe_on, resident, city_admin):
    for amount in (10_00, 20_00):
        post_event(client, session_event(make_top_up(resident, eur_cents=amount)))
    mismatched = make_top_up(resident, eur_cents=30_00)
    post_event(client, session_event(mismatched, amount=29_00))
    client.force_login(city_admin)
    response = client.get("/wallet/top-up/reconciliation/")
    assert response.status_code == 200
    [month] = response.context["report"].months
    assert month.payments == 3 and month.paid_eur_cents == 59_00
    assert month.credits == 2 and month.credited_eraha_cents == 30_00
    assert month.difference == 30_00 and not month.balanced
    assert response.context["report"].mismatches == [mismatched]
    assert f"#{mismatched.pk}" in response.content.decode()


def test_a_balanced_month_has_no_mismatches(client, stripe_on, resident, city_admin):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up))
    post_event(client, charge_event(top_up, amount=4_00))
    client.force_login(city_admin)
    report = client.get("/wallet/top-up/reconciliation/").context["report"]
    assert report.months[0].balanced and report.months[0].taken_back_eraha_cents == 4_00
    assert report.mismatches == [] and report.audit_problems == []


def test_a_resident_may_not_see_the_report(client, stripe_on, resident):
    client.force_login(resident)
    assert client.get("/wallet/top-up/reconciliation/").status_code == 403


def test_a_publisher_may_not_see_the_report(client, stripe_on, publisher):
    client.force_login(publisher)
    assert client.get("/wallet/top-up/reconciliation/").status_code == 403


def test_a_bad_year_falls_back_to_this_year(client, stripe_on, city_admin):
    client.force_login(city_admin)
    for year in ("abc", "1900", "99999"):
        assert client.get("/wallet/top-up/reconciliation/", {"year": year}).status_code == 200


def test_the_report_query_count_is_constant(client, stripe_on, resident, city_admin):
    client.force_login(city_admin)
    post_event(client, session_event(make_top_up(resident)))
    client.force_login(city_admin)
    with CaptureQueriesContext(connection) as first:
        client.get("/wallet/top-up/reconciliation/")
    for _ in range(5):
        post_event(client, session_event(make_top_up(resident, eur_cents=5_00)))
    client.force_login(city_admin)
    with CaptureQueriesContext(connection) as second:
        client.get("/wallet/top-up/reconciliation/")
    assert len(second) == len(first)


def test_the_audit_finds_a_credited_top_up_without_a_credit(stripe_on, resident):
    top_up = make_top_up(resident)
    wallet.credit_card_top_up(resident=resident, amount=10_00, idempotency_key=f"stripe:{top_up.session_id}")
    [violation] = check_one_credit_per_top_up()
    assert "without a credited top-up" in str(violation)
    credit = wallet.credit_card_top_up(resident=resident, amount=10_00, idempotency_key=f"stripe:{top_up.session_id}")
    TopUp.objects.filter(pk=top_up.pk).update(status=TopUpStatus.CREDITED, credit_transaction=credit)
    assert check_one_credit_per_top_up() == []


def test_the_audit_finds_a_credit_of_the_wrong_amount(stripe_on, resident):
    top_up = make_top_up(resident, eur_cents=10_00)
    credit = wallet.credit_card_top_up(resident=resident, amount=9_00, idempotency_key=f"stripe:{top_up.session_id}")
    TopUp.objects.filter(pk=top_up.pk).update(status=TopUpStatus.CREDITED, credit_transaction=credit)
    [violation] = check_one_credit_per_top_up()
    assert "wrong kind or amount" in str(violation)
    TopUp.objects.filter(pk=top_up.pk).update(eraha_cents=9_00)


def test_the_audit_finds_taken_back_eraha_the_top_up_does_not_record(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up))
    post_event(client, charge_event(top_up, amount=5_00))
    assert check_one_credit_per_top_up() == []
    TopUp.objects.filter(pk=top_up.pk).update(reversed_eraha_cents=4_00)
    [violation] = check_one_credit_per_top_up()
    assert "taken back" in str(violation)
    TopUp.objects.filter(pk=top_up.pk).update(reversed_eraha_cents=5_00)


def test_demo_top_ups_without_stripe_are_not_flagged(resident):
    wallet.credit_card_top_up(resident=make_user(), amount=1_00, idempotency_key="demo:top-up:x")
    assert check_one_credit_per_top_up() == []


def test_a_stripe_key_that_is_not_a_checkout_session_is_left_to_its_owner(resident):
    wallet.credit_card_top_up(resident=resident, amount=1_00, idempotency_key='stripe:"x"')
    assert check_one_credit_per_top_up() == []
