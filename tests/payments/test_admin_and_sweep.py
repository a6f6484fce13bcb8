"""Admin pages for top-ups and events, and the sweep that expires forgotten top-ups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.models import StripeEvent, TopUp, TopUpStatus
from payments.services import sweep
from tests.payments.conftest import make_top_up, post_event, session_event

pytestmark = pytest.mark.django_db


def test_a_city_administrator_sees_top_ups_and_events_in_the_admin(client, stripe_on, resident, city_admin):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up))
    client.force_login(city_admin)
    listing = client.get("/admin/payments/topup/")
    assert listing.status_code == 200
    assert [row.status for row in listing.context["cl"].result_list] == [TopUpStatus.CREDITED]
    assert client.get(f"/admin/payments/topup/{top_up.pk}/change/").status_code == 200
    event = StripeEvent.objects.get()
    assert client.get("/admin/payments/stripeevent/").status_code == 200
    assert client.get(f"/admin/payments/stripeevent/{event.pk}/change/").status_code == 200


def test_nobody_edits_or_deletes_top_ups_in_the_admin(client, stripe_on, resident, city_admin):
    top_up = make_top_up(resident)
    client.force_login(city_admin)
    response = client.post(f"/admin/payments/topup/{top_up.pk}/change/", {"status": TopUpStatus.CREDITED})
    assert response.status_code == 403
    assert client.post(f"/admin/payments/topup/{top_up.pk}/delete/", {"post": "yes"}).status_code == 403
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.PENDING and TopUp.objects.count() == 1
    assert client.get("/admin/payments/topup/add/").status_code == 403


def test_staff_without_the_city_permission_do_not_see_top_ups(client, stripe_on, verifier):
    verifier.is_staff = True
    verifier.save()
    client.force_login(verifier)
    assert client.get("/admin/payments/topup/").status_code == 403


def test_the_sweep_expires_forgotten_open_top_ups_once(stripe_on, resident):
    now = timezone.now()
    old = make_top_up(resident)
    TopUp.objects.filter(pk=old.pk).update(expires_at=now - dt.timedelta(hours=2))
    fresh = make_top_up(resident)
    assert sweep(now=now) == 1
    assert sweep(now=now) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == TopUpStatus.EXPIRED and fresh.status == TopUpStatus.PENDING


def test_a_payment_arriving_after_the_sweep_is_still_credited(client, stripe_on, resident):
    from wallet.services import wallet_balance

    top_up = make_top_up(resident)
    TopUp.objects.filter(pk=top_up.pk).update(expires_at=timezone.now() - dt.timedelta(hours=2))
    call_command("run_sweeps", stdout=open("/dev/null", "w"))  # noqa: SIM115
    post_event(client, session_event(top_up))
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.CREDITED and wallet_balance(user=resident) == 10_00


def test_a_delayed_payment_is_not_swept_while_it_may_still_settle(client, stripe_on, resident):
    top_up = make_top_up(resident)
    post_event(client, session_event(top_up, payment_status="unpaid"))
    assert sweep(now=timezone.now() + dt.timedelta(days=3)) == 0
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.PENDING
