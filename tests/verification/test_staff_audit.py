"""Every verifier decision (approve, reject, request changes, appeal, dispute) leaves one staff audit row."""

from __future__ import annotations

from people import roles
from people.models import StaffAction
from tests.factories import make_user
from tests.verification import helpers
from tests.verification.test_services import LATER, queued_proof, submit
from verification import services


def actions():
    return list(StaffAction.objects.order_by("pk").values_list("action", "actor__email", "target", "reason"))


def test_a_verifier_approval_writes_one_audit_row(claim, resident, verifier):
    proof = queued_proof(claim, resident)
    services.approve_proof(proof=proof, actor=verifier, how="human", now=LATER, message="Hyvä")
    assert actions() == [("proof.approved", verifier.email, f"proof:{proof.pk}", "Hyvä")]
    assert StaffAction.objects.get().created_at == LATER


def test_a_rejection_and_the_appeal_decision_are_both_audited(claim, resident, verifier, parks):
    proof = queued_proof(claim, resident)
    services.reject_proof(proof=proof, actor=verifier, how="human", reason_code=2, message="Wrong park", now=LATER)
    services.appeal_rejection(proof=proof, resident=resident, message="Right park", now=LATER)
    other = make_user("toinen@example.fi", role=roles.VERIFIER, departments=[parks])
    proof.refresh_from_db()  # as the view does: the service reads the appeal from the proof's status
    services.approve_proof(proof=proof, actor=other, how="human", now=LATER)
    assert actions() == [
        ("proof.rejected", verifier.email, f"proof:{proof.pk}", "Wrong park"),
        ("appeal.approved", other.email, f"proof:{proof.pk}", ""),
    ]
    assert StaffAction.objects.order_by("pk").first().details == {"reason_code": 2}


def test_a_change_request_is_audited(claim, resident, verifier):
    proof = queued_proof(claim, resident)
    services.request_changes(proof=proof, actor=verifier, message="Show the bin", now=LATER)
    assert actions() == [("proof.changes", verifier.email, f"proof:{proof.pk}", "Show the bin")]


def test_a_dispute_decision_is_audited_but_the_posters_own_decision_is_not(db, resident, neighbour, verifier):
    task = helpers.peer_task(poster=neighbour)
    proof = submit(helpers.claim(task, resident), resident, uploads=[])
    services.poster_decide(proof=proof, poster=neighbour, approve=False, reason_code=4, message="Not done", now=LATER)
    proof.refresh_from_db()
    services.open_dispute(proof=proof, user=resident, message="I did", now=LATER)
    proof.refresh_from_db()
    services.reject_proof(proof=proof, actor=verifier, how="human", reason_code=4, message="", now=LATER)
    assert actions() == [("dispute.rejected", verifier.email, f"proof:{proof.pk}", "")]


def test_automatic_approvals_are_not_staff_actions(trusting_policy, claim, resident):
    submit(claim, resident)
    assert actions() == []
