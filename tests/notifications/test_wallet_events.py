"""Money in (a neighbour's payment, a card top-up) is a notice with the new balance, once per transaction."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import Notification
from wallet import services


@pytest.fixture
def pushes(monkeypatch):
    sent = []
    monkeypatch.setattr(
        notification_services, "send_to_group", lambda *, group, message: sent.append((group, message)) or True
    )
    return sent


def test_a_neighbours_payment_is_a_notice_with_the_new_balance(
    resident, neighbour, pushes, django_capture_on_commit_callbacks
):
    services.credit_card_top_up(resident=neighbour, amount=20_00, idempotency_key="t1")
    pushes.clear()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.pay_neighbour(
            sender=neighbour, recipient=resident, amount=3_50, memo="Kiitos lumitöistä", idempotency_key="p1", now=now
        )
        again = services.pay_neighbour(
            sender=neighbour, recipient=resident, amount=3_50, memo="Kiitos lumitöistä", idempotency_key="p1", now=now
        )
    assert again.pk == paid.pk
    notice = Notification.objects.get(recipient=resident)
    assert notice.kind == "payment_received"
    assert notice.text == "Niilo Naapuri lähetti sinulle 3,50 eRaha: Kiitos lumitöistä"
    assert notice.link == f"/wallet/transactions/{paid.pk}/"
    assert len(pushes) == 1 and "3,50 eRaha" in pushes[0][1]["html"] and 'id="header-balance"' in pushes[0][1]["html"]


def test_a_card_top_up_is_a_notice_once_even_when_the_webhook_repeats(
    resident, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.credit_card_top_up(resident=resident, amount=10_00, idempotency_key="top-up-1")
        second = services.credit_card_top_up(resident=resident, amount=10_00, idempotency_key="top-up-1")
    assert first.pk == second.pk
    [notice] = Notification.objects.filter(recipient=resident)
    assert notice.kind == "top_up_credited" and "10,00 eRaha" in notice.text
    assert len(pushes) == 1
