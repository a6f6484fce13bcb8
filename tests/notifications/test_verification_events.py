"""Verification decisions tell the resident (notice, e-mail, live push) and the queue, only when they commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from notifications import services as notification_services
from notifications.models import Notification
from tests.verification import helpers
from tests.verification.helpers import NOW
from verification import services
from verification.models import Decision, Proof

LATER = NOW + dt.timedelta(hours=3)


@pytest.fixture
def pushes(monkeypatch):
    sent = []
    monkeypatch.setattr(
        notification_services, "send_to_group", lambda *, group, message: sent.append((group, message)) or True
    )
    return sent


@pytest.fixture
def queued(db, parks, publisher, resident):
    task = helpers.city_task(department=parks, creator=publisher, title="Roskien keruu Rauhassa")
    claim = helpers.claim(task, resident)
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="Valmis", submission_key="k1", now=LATER
    )
    assert proof.status == Proof.Status.QUEUED
    return proof


def test_a_new_queued_proof_is_announced_to_the_queue(
    pushes, parks, publisher, resident, django_capture_on_commit_callbacks
):
    task = helpers.city_task(department=parks, creator=publisher)
    claim = helpers.claim(task, resident)
    with django_capture_on_commit_callbacks(execute=True):
        proof = services.submit_proof(
            claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="n1", now=LATER
        )
    assert pushes == [
        (
            "queue",
            {
                "type": "queue.event",
                "event": "new_proof",
                "proof_id": proof.pk,
                "html": "",
                "data": {"department_id": parks.pk},
            },
        )
    ]


def test_an_approval_notifies_the_resident_with_the_new_balance(
    queued, verifier, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.open_proof(proof=queued, verifier=verifier, now=LATER)
    assert [m["event"] for g, m in pushes if g == "queue"] == ["lock_taken"]
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_proof(proof=queued, actor=verifier, how="human", now=LATER + dt.timedelta(seconds=5))
    notice = Notification.objects.get(recipient=queued.resident)
    assert notice.kind == "proof_approved"
    assert "Roskien keruu Rauhassa" in notice.text and "5,00 eRaha" in notice.text
    assert notice.link == f"/proofs/{queued.pk}/"
    groups = [group for group, _ in pushes]
    assert groups == [f"user.{queued.resident_id}", "queue"]
    assert 'id="header-balance"' in pushes[0][1]["html"] and "5,00 eRaha" in pushes[0][1]["html"]
    assert pushes[1][1]["event"] == "decided" and pushes[1][1]["data"] == {
        "outcome": "approved",
        "verifier_id": verifier.pk,
    }
    assert [m.to for m in mail.outbox] == [[queued.resident.email]]


def test_a_rejection_reason_is_in_the_residents_language(queued, verifier, pushes, django_capture_on_commit_callbacks):
    queued.resident.preferred_language = "sv"
    queued.resident.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_proof(
            proof=queued,
            actor=verifier,
            how="human",
            reason_code=Decision.Reason.WRONG_PLACE,
            message="Fel park",
            now=LATER,
        )
    notice = Notification.objects.get(recipient=queued.resident)
    assert notice.kind == "proof_rejected"
    assert notice.text == "Din redovisning för uppdraget ”Roskien keruu Rauhassa” avslogs: Fel plats. Fel park"
    assert len(mail.outbox) == 1 and "avslagits" in mail.outbox[0].subject


def test_a_request_for_changes_is_a_notice_without_e_mail(queued, verifier, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_changes(proof=queued, actor=verifier, message="Lisää jälkeen-kuva", now=LATER)
    notice = Notification.objects.get(recipient=queued.resident)
    assert notice.kind == "changes_requested" and "Lisää jälkeen-kuva" in notice.text
    assert mail.outbox == []


def test_an_approval_that_rolls_back_tells_nobody(queued, verifier, pushes, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.approve_proof(proof=queued, actor=verifier, how="human", now=LATER)
        raise RuntimeError("the request failed after the approval")
    assert callbacks == [] and pushes == [] and mail.outbox == []
    assert not Notification.objects.exists()
    assert Proof.objects.get(pk=queued.pk).status == Proof.Status.QUEUED


def test_a_released_lock_is_announced(queued, verifier, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.open_proof(proof=queued, verifier=verifier, now=LATER)
        services.release_lock(proof=queued, verifier=verifier)
        services.release_lock(proof=queued, verifier=verifier)
    assert [m["event"] for _, m in pushes] == ["lock_taken", "lock_released"]


def test_a_peer_proof_asks_the_poster_to_confirm(db, resident, neighbour, pushes, django_capture_on_commit_callbacks):
    task = helpers.peer_task(poster=neighbour)
    claim = helpers.claim(task, resident)
    with django_capture_on_commit_callbacks(execute=True):
        proof = services.submit_proof(
            claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="p1", now=LATER
        )
    notice = Notification.objects.get(recipient=neighbour, kind="peer_proof_waiting")
    assert notice.kind == "peer_proof_waiting" and task.title in notice.text and "Aino Asukas" in notice.text
    assert notice.link == f"/proofs/{proof.pk}/"


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_an_approval_still_pays(queued, verifier, settings, caplog):
    from tests.notifications.conftest import closed_port, in_own_thread, redis_layer
    from wallet.services import wallet_balance

    settings.CHANNEL_LAYERS = redis_layer(f"redis://127.0.0.1:{closed_port()}/6")
    in_own_thread(lambda: services.approve_proof(proof=queued, actor=verifier, how="human", now=LATER))
    assert Proof.objects.get(pk=queued.pk).status == Proof.Status.APPROVED
    assert wallet_balance(user=queued.resident) == 500
    assert Notification.objects.filter(recipient=queued.resident, kind="proof_approved").exists()
    assert any("Live push" in record.getMessage() for record in caplog.records)
