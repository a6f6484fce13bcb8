"""Sweeps warn once: a claim ending within 2 hours, a voucher expiring within 3 days; a refund is a notice."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from notifications.models import Notification
from tasks import services as task_services
from tests.verification import helpers
from tests.vouchers.conftest import *  # noqa: F403 (the vouchers fixtures: swim, buy, funded_resident)
from vouchers import services as voucher_services
from vouchers.models import Voucher


def test_a_claim_ending_within_two_hours_is_warned_about_once(
    parks, publisher, resident, django_capture_on_commit_callbacks
):
    task = helpers.city_task(department=parks, creator=publisher)
    claim = helpers.claim(task, resident)
    early = claim.expires_at - timedelta(hours=3)
    assert task_services.warn_expiring_claims(now=early) == 0
    now = claim.expires_at - timedelta(minutes=90)
    with django_capture_on_commit_callbacks(execute=True):
        assert task_services.warn_expiring_claims(now=now) == 1
    assert task_services.warn_expiring_claims(now=now + timedelta(minutes=30)) == 0
    notice = Notification.objects.get(recipient=resident, kind="claim_expiring")
    assert task.title in notice.text and notice.link == f"/tasks/{task.pk}/"
    assert len(mail.outbox) == 1 and task.title in mail.outbox[0].body


def test_a_voucher_expiring_within_three_days_is_warned_about_once(
    funded_resident, swim, buy, django_capture_on_commit_callbacks
):
    voucher = buy(swim)
    now = voucher.expires_at - timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert voucher_services.warn_expiring_vouchers(now=now) == 1
    assert voucher_services.warn_expiring_vouchers(now=now) == 0
    notice = Notification.objects.get(recipient=funded_resident, kind="voucher_expiring")
    assert voucher.product.name in notice.text and notice.link == "/vouchers/mine/"
    assert mail.outbox[-1].subject == "[eRaha] Lahjakorttisi vanhenee pian"


def test_a_refunded_voucher_is_a_notice_with_the_new_balance(funded_resident, swim, buy):
    voucher = buy(swim)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    voucher_services.sweep(now=timezone.now())
    voucher_services.sweep(now=timezone.now())
    [notice] = Notification.objects.filter(recipient=funded_resident, kind="voucher_refunded")
    assert "5,00 eRaha" in notice.text and voucher.product.name in notice.text
