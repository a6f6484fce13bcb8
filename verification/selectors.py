"""Reads for the queue and the proof pages (they span proofs, photos, tasks and decisions)."""

from __future__ import annotations

from django.db.models import Count, Q

from people.models import Department
from verification import checks
from verification.models import Appeal, Decision, Dispute, Proof, QueueLock
from verification.services import locked_by_others, queue_for


def flags_with_reasons(proof: Proof) -> list[dict]:
    return [{"code": f["code"], "reason": checks.flag_reason(f["code"], f.get("params", {}))} for f in proof.flags]


def photo_rows(proof: Proof) -> list[dict]:
    task = proof.task
    rows = []
    for photo in proof.photos.all():
        distance = None
        if task.has_place and photo.latitude is not None:
            distance = round(
                checks.haversine_m(float(task.latitude), float(task.longitude), photo.latitude, photo.longitude)
            )
        rows.append({"photo": photo, "distance": distance})
    return rows


def resident_summary(resident) -> dict:
    counts = Decision.objects.filter(proof__resident=resident).aggregate(
        approved=Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED)),
        rejected=Count("pk", filter=Q(outcome=Decision.Outcome.REJECTED)),
        changes=Count("pk", filter=Q(outcome=Decision.Outcome.CHANGES)),
    )
    recent = list(
        Decision.objects.filter(proof__resident=resident)
        .select_related("proof__task")
        .order_by("-created_at", "-pk")[:5]
    )
    return {**counts, "recent": recent}


def proof_context(*, proof: Proof, viewer, now) -> dict:
    decisions = list(proof.decisions.select_related("decided_by").order_by("created_at", "pk"))
    last = decisions[-1] if decisions else None
    appeal = Appeal.objects.filter(proof=proof).first()
    is_owner = proof.resident_id == viewer.pk
    is_poster = proof.is_peer and proof.task.poster_id == viewer.pk
    return {
        "proof": proof,
        "task": proof.task,
        "photos": photo_rows(proof),
        "flags": flags_with_reasons(proof),
        "decisions": decisions,
        "last_decision": last,
        "appeal": appeal,
        "is_owner": is_owner,
        "is_poster": is_poster,
        "can_appeal": is_owner
        and not proof.is_peer
        and proof.status == Proof.Status.REJECTED
        and appeal is None
        and last is not None
        and not last.is_appeal,
        "can_resubmit": is_owner and proof.status == Proof.Status.CHANGES and proof.claim.status == "active",
        "can_poster_decide": is_poster and proof.status == Proof.Status.PEER_PENDING,
        "can_dispute": (is_poster and proof.status == Proof.Status.PEER_PENDING)
        or (
            is_owner
            and proof.is_peer
            and proof.status == Proof.Status.REJECTED
            and not Dispute.objects.filter(proof=proof).exists()
        ),
    }


def queue_context(*, verifier, proof: Proof | None, department_id: int | None, now) -> dict:
    queued = queue_for(verifier=verifier, department_id=department_id)
    context = {
        "proof": proof,
        "department_id": department_id,
        "departments": list(Department.objects.filter(staff=verifier)),
        "queue_count": queued.count(),
        "lock": None,
        "locked_by_other": False,
        "next_photos": [],
    }
    if proof is None:
        return context
    lock = QueueLock.objects.select_related("verifier").filter(proof=proof).first()
    context["lock"] = lock
    context["locked_by_other"] = bool(lock and lock.verifier_id != verifier.pk and lock.expires_at > now)
    context.update(
        task=proof.task,
        photos=photo_rows(proof),
        flags=flags_with_reasons(proof),
        history=resident_summary(proof.resident),
        appeal=getattr(proof, "appeal", None) if proof.status == Proof.Status.APPEALED else None,
        dispute=getattr(proof, "dispute", None) if proof.status == Proof.Status.DISPUTED else None,
        decided=proof.status not in Proof.IN_QUEUE,
    )
    # Preload: the next proof's photos are fetched by the browser while this one is being decided.
    following = (
        queued.exclude(pk=proof.pk)
        .filter(Q(submitted_at__gt=proof.submitted_at) | Q(submitted_at=proof.submitted_at, pk__gt=proof.pk))
        .exclude(locked_by_others(verifier=verifier, now=now))
        .first()
    )
    if following is not None:
        context["next_photos"] = list(following.photos.exclude(display="").values_list("pk", flat=True))
    return context
