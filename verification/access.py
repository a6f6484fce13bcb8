"""The one access helper of the verification app: every view asks here who may see or do what.

Outsiders get 404 (the object's existence is not revealed); staff pages without the permission get 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from people import roles
from tasks.models import Claim
from verification.models import Proof, ProofPhoto


def require_verifier(user) -> None:
    if not roles.is_verifier(user):
        raise PermissionDenied


def verifier_may_see(user, proof: Proof) -> bool:
    if not roles.is_verifier(user):
        return False
    if proof.department_id is None:  # peer tasks: any verifier (disputes)
        return True
    return user.departments.filter(pk=proof.department_id).exists()


def get_claim_for_upload(user, claim_id: int) -> Claim:
    claim = Claim.objects.select_related("task", "task__category").filter(pk=claim_id, resident=user).first()
    if claim is None:
        raise Http404
    return claim


def get_proof_for_user(user, proof_id: int) -> Proof:
    """The resident who sent it, the poster of a peer task, or a verifier of the department."""
    proof = Proof.objects.select_related("task", "task__category", "resident", "claim").filter(pk=proof_id).first()
    if proof is None:
        raise Http404
    if proof.resident_id == user.pk or (proof.is_peer and proof.task.poster_id == user.pk):
        return proof
    if verifier_may_see(user, proof):
        return proof
    raise Http404


def get_proof_for_verifier(user, proof_id: int) -> Proof:
    require_verifier(user)
    proof = Proof.objects.select_related("task", "task__category", "resident", "claim").filter(pk=proof_id).first()
    if proof is None or not verifier_may_see(user, proof):
        raise Http404
    return proof


def get_photo_for_user(user, photo_id: int) -> ProofPhoto:
    photo = ProofPhoto.objects.select_related("proof", "proof__task").filter(pk=photo_id).first()
    if photo is None or photo.deleted:
        raise Http404
    get_proof_for_user(user, photo.proof_id)
    return photo
