"""notify() and broadcast_queue_event(): rows in the caller's transaction, pushes and e-mail only after commit."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction

from notifications import services
from notifications.exceptions import MissingParameter, UnknownKind
from notifications.kinds import Kind
from notifications.models import Notification
from tests.notifications.conftest import closed_port, in_own_thread, redis_layer

APPROVAL = {"task": "Roskien keruu", "amount": 500, "balance": 2500}


@pytest.fixture
def pushes(monkeypatch):
    sent = []
    monkeypatch.setattr(services, "send_to_group", lambda *, group, message: sent.append((group, message)) or True)
    return sent


def test_a_notice_is_stored_in_the_recipients_language(resident, neighbour, pushes):
    resident.preferred_language = "sv"
    resident.save(update_fields=["preferred_language"])
    with transaction.atomic():
        notice = services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL, link="/wallet/")
    notice.refresh_from_db()
    assert notice.recipient == resident and notice.kind == "proof_approved" and notice.link == "/wallet/"
    assert "godkändes" in notice.text and "25,00 eRaha" in notice.text
    assert not notice.is_read


def test_the_push_and_e_mail_wait_for_the_commit(resident, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL)
    assert Notification.objects.filter(recipient=resident).count() == 1
    assert pushes == [] and mail.outbox == []
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    [(group, message)] = pushes
    assert group == f"user.{resident.pk}" and message["type"] == "notify.push"
    assert "25,00 eRaha" in message["html"]
    assert len(mail.outbox) == 1


def test_an_approval_e_mail_is_sent_in_the_recipients_language(resident, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL, link="/wallet/")
    [message] = mail.outbox
    assert message.to == ["asukas@example.fi"]
    assert message.subject == "[eRaha] Suorituksesi hyväksyttiin"
    assert "Roskien keruu" in message.body and "http://127.0.0.1:8000/wallet/" in message.body
    assert "Hei Aino Asukas" in message.body


def test_no_e_mail_when_the_resident_turned_them_off(resident, pushes, django_capture_on_commit_callbacks):
    resident.email_notifications = False
    resident.save(update_fields=["email_notifications"])
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipient=resident, kind=Kind.PROOF_REJECTED, params={"task": "T", "reason": "Epätarkka"})
        services.notify(recipient=resident, kind=Kind.CLAIM_EXPIRING, params={"task": "T", "expires_at": "klo 12"})
    assert mail.outbox == []
    assert len(pushes) == 2


def test_only_the_kinds_that_matter_when_away_are_e_mailed(resident, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipient=resident, kind=Kind.TOP_UP_CREDITED, params={"amount": 1000})
        services.notify(
            recipient=resident, kind=Kind.VOUCHER_EXPIRING, params={"product": "Uinti", "expires_at": "1.1."}
        )
        services.notify(recipient=resident, kind=Kind.TASK_IN_REVIEW, params={"task": "T"}, email=True)
        services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL, email=False)
    assert [m.subject for m in mail.outbox] == [
        "[eRaha] Lahjakorttisi vanhenee pian",
        "[eRaha] Tehtävä tarkistettavana",
    ]


def test_work_that_rolls_back_leaves_no_notice_push_or_e_mail(resident, pushes, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL)
        services.broadcast_queue_event(event="decided", proof_id=3)
        raise RuntimeError("the ledger refused")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert pushes == [] and mail.outbox == []


def test_an_unknown_kind_or_missing_parameter_is_refused(resident):
    with pytest.raises(UnknownKind):
        services.notify(recipient=resident, kind="lottery_win", params={})
    with pytest.raises(MissingParameter):
        services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params={"task": "T"})
    assert not Notification.objects.exists()


def test_an_unknown_queue_event_is_refused(db):
    with pytest.raises(ValueError):
        services.broadcast_queue_event(event="coffee_break", proof_id=1)


def test_queue_events_go_to_the_queue_group_after_commit(db, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.broadcast_queue_event(event="lock_taken", proof_id=5, html="<li id='proof-5'></li>")
        assert pushes == []
    assert pushes == [
        (
            "queue",
            {"type": "queue.event", "event": "lock_taken", "proof_id": 5, "html": "<li id='proof-5'></li>", "data": {}},
        )
    ]


def test_marking_read_pushes_the_new_unread_count(resident, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify(recipient=resident, kind=Kind.TOP_UP_CREDITED, params={"amount": 100})
        services.notify(recipient=resident, kind=Kind.TOP_UP_CREDITED, params={"amount": 200})
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_read(user=resident, notification=first) is True
        assert services.mark_read(user=resident, notification=first) is False
    assert len(pushes) == 1 and "1 uusi" in pushes[0][1]["html"]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_all_read(user=resident) == 1
        assert services.mark_all_read(user=resident) == 0
    assert Notification.objects.filter(recipient=resident, is_read=False).count() == 0


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_action_succeeds_and_the_missed_push_is_logged(resident, settings, caplog):
    settings.CHANNEL_LAYERS = redis_layer(f"redis://127.0.0.1:{closed_port()}/6")

    def approve():
        with transaction.atomic():
            services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL)
            services.broadcast_queue_event(event="decided", proof_id=1)

    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        in_own_thread(approve)
    assert Notification.objects.filter(recipient=resident, kind="proof_approved").count() == 1
    failures = [r for r in caplog.records if "Live push" in r.getMessage()]
    assert {r.getMessage().split()[3] for r in failures} == {f"user.{resident.pk}", "queue"}
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_channel_layer_never_reaches_the_user(resident, caplog):
    layer = mock.Mock()
    layer.group_send = mock.AsyncMock(side_effect=ConnectionError("layer gone"))
    with (
        mock.patch("notifications.services.get_channel_layer", return_value=layer),
        caplog.at_level(logging.WARNING, logger="notifications.services"),
    ):

        def approve():
            with transaction.atomic():
                services.notify(recipient=resident, kind=Kind.PROOF_APPROVED, params=APPROVAL)

        in_own_thread(approve)
        assert layer.group_send.await_count == 1
    assert Notification.objects.filter(recipient=resident).count() == 1
    assert any("Live push" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_does_not_fail_the_action(resident, pushes, caplog):
    with (
        mock.patch("notifications.services.send_mail", side_effect=OSError("smtp down")),
        caplog.at_level(logging.WARNING, logger="notifications.services"),
        transaction.atomic(),
    ):
        services.notify(recipient=resident, kind=Kind.PROOF_REJECTED, params={"task": "T", "reason": "R"})
    assert Notification.objects.filter(recipient=resident).count() == 1
    assert any("E-mail notice" in r.getMessage() for r in caplog.records)


def test_a_keyed_notice_is_created_and_sent_once(resident, pushes, django_capture_on_commit_callbacks):
    params = {"task": "Roskien keruu", "expires_at": "klo 12"}
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify(recipient=resident, kind=Kind.CLAIM_EXPIRING, params=params, key="claim-expiring:4")
        again = services.notify(recipient=resident, kind=Kind.CLAIM_EXPIRING, params=params, key="claim-expiring:4")
        other = services.notify(recipient=resident, kind=Kind.CLAIM_EXPIRING, params=params, key="claim-expiring:5")
    assert again.pk == first.pk != other.pk
    assert Notification.objects.filter(recipient=resident).count() == 2
    assert len(pushes) == 2 and len(mail.outbox) == 2
