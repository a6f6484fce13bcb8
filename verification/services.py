"""Every write of the verification app: proofs, checks and policy, decisions, queue locks, appeals, disputes,
and the sweeps (peer auto-approval, final rejections, photo retention).

Money moves only through wallet.services.pay_task_reward, with one idempotency key per proof, inside the
same transaction as the conditional status update that decides the proof: the update lets exactly one
decider through, and the key makes a retried payment return the first transaction.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _

from notifications.kinds import Kind
from notifications.services import broadcast_queue_event, notify
from tasks import exceptions as task_exceptions
from tasks import services as task_services
from tasks.models import Claim
from verification import checks, photos
from verification.exceptions import (
    AlreadyDecided,
    AppealNotAllowed,
    DisputeNotAllowed,
    LockedByOther,
    PhotoRejected,
    ProofNotAllowed,
)
from verification.models import (
    Appeal,
    Decision,
    Dispute,
    PhotoHash,
    Proof,
    ProofPhoto,
    QueueLock,
    RiskPolicy,
    _photo_path,
)
from verification.policy import Rules, decide

logger = logging.getLogger(__name__)

LOCK_MINUTES = 5
S = Proof.Status


@dataclass(frozen=True)
class Upload:
    """One uploaded file: a Django UploadedFile (or anything with read()/name/size) and its role."""

    file: object
    role: str = ""


# --- Submitting ----------------------------------------------------------------------------------


def process_uploads(*, uploads: list[Upload], policy: RiskPolicy) -> list[tuple[Upload, photos.ProcessedPhoto]]:
    """Runs the photo pipeline on every file before anything is stored. Raises PhotoRejected naming the file."""
    if len(uploads) > policy.max_photos:
        raise PhotoRejected(
            _("Too many photos: at most %(count)s photos per proof.") % {"count": policy.max_photos},
            code="too_many_files",
        )
    processed = []
    for number, upload in enumerate(uploads, start=1):
        name = getattr(upload.file, "name", "") or ""
        try:
            processed.append((upload, photos.process_photo(upload.file, name=name)))
        except PhotoRejected as exc:
            raise PhotoRejected(
                _("Photo %(number)s (%(name)s): %(reason)s") % {"number": number, "name": name[-60:], "reason": exc},
                code=exc.code,
            ) from None
    return processed


def submit_proof(
    *,
    claim: Claim,
    resident,
    uploads: list[Upload],
    note: str,
    submission_key: str,
    now: datetime,
    audit_draw: float | None = None,
) -> Proof:
    """Creates the proof of a claim, runs the checks and the policy, and auto-approves or queues it.

    The photos are decoded before the transaction (CPU work holds no lock); their copies are written to
    storage before it and deleted again if the transaction fails, so no half-made proof is left behind.
    A repeated `submission_key` (a double submit) returns the first proof.
    """
    existing = Proof.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        if existing.claim_id != claim.pk:
            raise ProofNotAllowed(_("This form was already used for another task."))
        return existing
    if claim.resident_id != resident.pk:
        raise ProofNotAllowed(_("This is not your claim."))
    task = claim.task
    policy = RiskPolicy.current()
    if not uploads and not (task.is_peer and task.category.photo_optional_for_peer):
        raise PhotoRejected(_("Add at least one photo."), code="no_photo")
    required = max(task.photo_count, 2 if task.before_after else 0)
    if uploads and len(uploads) < required:
        raise PhotoRejected(
            _("This task needs %(count)s photos.") % {"count": required},
            code="too_few_files",
        )
    if task.before_after and uploads:
        roles = {u.role for u in uploads}
        if not {"before", "after"} <= roles:
            raise PhotoRejected(_("Add both a before photo and an after photo."), code="before_after")
    if claim.status != Claim.Status.ACTIVE or claim.expires_at <= now:
        raise ProofNotAllowed(_("This claim no longer takes proof: it has expired or proof was already sent."))

    processed = process_uploads(uploads=uploads, policy=policy)
    stored: list[str] = []
    try:
        names = []
        for _upload, result in processed:
            display = default_storage.save(_photo_path("d"), ContentFile(result.display))
            stored.append(display)
            thumbnail = default_storage.save(_photo_path("t"), ContentFile(result.thumbnail))
            stored.append(thumbnail)
            names.append((display, thumbnail))
        with transaction.atomic():
            try:
                task_services.mark_claim_submitted(claim=claim, now=now)
            except task_exceptions.TaskError as exc:
                raise ProofNotAllowed(exc.message) from None
            proof = Proof.objects.create(
                claim=claim,
                task=task,
                resident=resident,
                department_id=task.department_id,
                is_peer=task.is_peer,
                note=note,
                status=S.QUEUED,
                submission_key=submission_key,
                submitted_at=now,
            )
            facts = []
            for position, ((upload, result), (display, thumbnail)) in enumerate(
                zip(processed, names, strict=True), start=1
            ):
                photo = ProofPhoto.objects.create(
                    proof=proof,
                    position=position,
                    role=upload.role if upload.role in {"before", "after"} else "",
                    display=display,
                    thumbnail=thumbnail,
                    display_width=result.display_size[0],
                    display_height=result.display_size[1],
                    source_format=result.source_format,
                    width=result.width,
                    height=result.height,
                    taken_at=result.taken_at,
                    taken_at_source=result.taken_at_source,
                    taken_at_has_offset=result.taken_at_has_offset,
                    latitude=result.latitude,
                    longitude=result.longitude,
                )
                PhotoHash.objects.create(
                    photo=photo,
                    proof=proof,
                    resident=resident,
                    claim_id_ref=claim.pk,
                    phash=photos.to_signed64(result.phash),
                    dhash=photos.to_signed64(result.dhash),
                    created_at=now,
                )
                facts.append(
                    checks.PhotoFacts(
                        index=position,
                        taken_at=result.taken_at,
                        latitude=result.latitude,
                        longitude=result.longitude,
                        phash=result.phash,
                        role=photo.role,
                    )
                )
            _route_new_proof(proof=proof, claim=claim, facts=facts, policy=policy, now=now, audit_draw=audit_draw)
    except IntegrityError:
        _delete_files(stored)
        existing = Proof.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
        raise ProofNotAllowed(_("Proof for this claim was already sent.")) from None
    except BaseException:
        _delete_files(stored)
        raise
    return proof


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # the storage may be briefly unreachable; the orphan is harmless and unguessable
            logger.warning("could not delete %s", name)


def resident_history(*, resident, now: datetime, policy: RiskPolicy) -> checks.History:
    since = now - timedelta(days=policy.recent_rejection_days)
    decided = Decision.objects.filter(proof__resident=resident)
    approved = decided.filter(outcome=Decision.Outcome.APPROVED).values("proof").distinct().count()
    rejected = decided.filter(outcome=Decision.Outcome.REJECTED, created_at__gte=since).count()
    return checks.History(approved=approved, rejected_recently=rejected)


def find_duplicates(*, facts: list[checks.PhotoFacts], proof: Proof, max_distance: int) -> list[checks.DuplicateMatch]:
    """Earlier photos anywhere in eRaha within `max_distance` bits; photos of the same claim do not count
    (a resubmission may reuse a photo). PostgreSQL counts bits in SQL; elsewhere the hashes are scanned."""
    others = PhotoHash.objects.exclude(claim_id_ref=proof.claim_id)
    matches = []
    for fact in facts:
        target = photos.to_signed64(fact.phash)
        if connection.vendor == "postgresql":
            rows = others.extra(
                where=["bit_count((phash # %s)::bit(64)) <= %s"], params=[target, max_distance]
            ).values_list("phash", "resident_id")[:20]
        else:
            rows = _scan_hashes(others, target, max_distance)
        for phash, resident_id in rows:
            matches.append(
                checks.DuplicateMatch(
                    photo_index=fact.index,
                    distance=checks.hamming(photos.to_unsigned64(phash), fact.phash),
                    same_resident=resident_id == proof.resident_id,
                )
            )
    return matches


def _scan_hashes(queryset, target: int, max_distance: int) -> list[tuple[int, int]]:
    found = []
    for phash, resident_id in queryset.values_list("phash", "resident_id").iterator(chunk_size=5000):
        if checks.hamming(phash, target) <= max_distance:
            found.append((phash, resident_id))
            if len(found) >= 20:
                break
    return found


def run_checks(
    *, proof: Proof, claim: Claim, facts: list[checks.PhotoFacts], policy: RiskPolicy, now: datetime
) -> tuple[list[checks.Flag], checks.History]:
    task = proof.task
    task_facts = checks.TaskFacts(
        latitude=float(task.latitude) if task.latitude is not None else None,
        longitude=float(task.longitude) if task.longitude is not None else None,
        max_distance_m=task.max_distance_m,
        taken_after_claim=task.taken_after_claim,
        before_after=task.before_after,
    )
    history = resident_history(resident=proof.resident, now=now, policy=policy)
    flags: list[checks.Flag] = []
    if not facts:
        flags.append(checks.Flag("no_photo"))
    flags += checks.check_capture_time(
        facts,
        task=task_facts,
        claimed_at=claim.claimed_at,
        submitted_at=now,
        max_age=timedelta(days=policy.max_photo_age_days),
    )
    flags += checks.check_location(facts, task=task_facts)
    flags += checks.check_duplicates(
        find_duplicates(facts=facts, proof=proof, max_distance=policy.duplicate_max_distance)
    )
    if facts:
        flags += checks.check_before_after(facts, task=task_facts, max_scene_distance=policy.scene_max_distance)
    flags += checks.check_history(history, max_recent_rejections=policy.rejection_flag_count - 1)
    return flags, history


def _route_new_proof(
    *, proof: Proof, claim: Claim, facts, policy: RiskPolicy, now: datetime, audit_draw: float | None
) -> None:
    flags, history = run_checks(proof=proof, claim=claim, facts=facts, policy=policy, now=now)
    proof.flags = [flag.as_json() for flag in flags]
    if proof.is_peer:
        # The poster decides a peer proof; flags are shown to them and to a verifier in a dispute.
        proof.status = S.PEER_PENDING
        proof.save(update_fields=["flags", "status"])
        notify(
            recipient=proof.task.poster,
            kind=Kind.PEER_PROOF_WAITING,
            params={"resident": proof.resident.public_name, "task": proof.task.title},
            link=reverse("verification:proof", args=[proof.pk]),
        )
        return
    outcome = decide(
        flags=flags,
        history=history,
        category_allows_auto=proof.task.category.allows_auto_approval,
        rules=Rules(
            auto_approve_enabled=policy.auto_approve_enabled,
            min_approved_proofs=policy.min_approved_proofs,
            audit_share_percent=policy.audit_share_percent,
        ),
        audit_draw=random.random() if audit_draw is None else audit_draw,
    )
    proof.queue_reasons = list(outcome.reasons)
    proof.audit_sample = outcome.reasons == ("audit_sample",)
    proof.save(update_fields=["flags", "queue_reasons", "audit_sample"])
    if outcome.auto_approved:
        approve_proof(proof=proof, actor=None, how=Decision.How.AUTO, now=now)
    else:
        broadcast_queue_event(event="new_proof", proof_id=proof.pk, data={"department_id": proof.department_id})


# --- Deciding ------------------------------------------------------------------------------------


def _seconds(*, proof: Proof, actor, now: datetime) -> tuple[datetime | None, float | None]:
    if actor is None:
        return None, None
    lock = QueueLock.objects.filter(proof=proof, verifier=actor).first()
    if lock is None:
        return None, None
    return lock.opened_at, max(0.0, (now - lock.opened_at).total_seconds())


def _take_decision(*, proof: Proof, from_statuses, to_status: str, now: datetime) -> None:
    """The one conditional update that lets exactly one decider through (row-locked until commit)."""
    updated = Proof.objects.filter(pk=proof.pk, status__in=from_statuses).update(status=to_status, decided_at=now)
    if updated != 1:
        raise AlreadyDecided(_("This proof was already decided."))
    proof.status = to_status
    proof.decided_at = now


def _check_lock(*, proof: Proof, actor, now: datetime) -> None:
    """Refuses a decision while another verifier holds the lock, and an appeal decided by the verifier
    whose rejection is appealed."""
    if actor is None:
        return
    if proof.status == S.APPEALED and Appeal.objects.filter(proof=proof, rejected_by=actor).exists():
        raise AppealNotAllowed(_("A different verifier must decide this appeal."))
    if QueueLock.objects.filter(proof=proof, expires_at__gt=now).exclude(verifier=actor).exists():
        raise LockedByOther(_("Another verifier has this proof open."))


def approve_proof(*, proof: Proof, actor, how: str, now: datetime, message: str = "") -> Decision:
    """Approves and pays the reward from the task's escrow, exactly once.

    Runs inside atomic(): the conditional status update row-locks the proof, so a concurrent second approval
    waits and then finds it decided; the ledger locks the escrow and the wallet (by pk) after that.
    """
    from wallet.services import pay_task_reward, wallet_balance

    with transaction.atomic():
        _check_lock(proof=proof, actor=actor, now=now)
        opened_at, seconds = _seconds(proof=proof, actor=actor, now=now)
        is_appeal = proof.status == S.APPEALED
        _take_decision(proof=proof, from_statuses=Proof.OPEN, to_status=S.APPROVED, now=now)
        claim = Claim.objects.get(pk=proof.claim_id)
        task_services.complete_claim(claim=claim, now=now)
        payment = pay_task_reward(
            task_key=f"task:{proof.task_id}",
            resident=proof.resident,
            amount=claim.reward_cents,
            idempotency_key=f"proof:{proof.pk}:reward",
            actor=actor,
        )
        Proof.objects.filter(pk=proof.pk).update(reward_transaction_id=payment.pk)
        proof.reward_transaction_id = payment.pk
        decision = Decision.objects.create(
            proof=proof,
            decided_by=actor,
            how=how,
            outcome=Decision.Outcome.APPROVED,
            message=message,
            is_appeal=is_appeal,
            opened_at=opened_at,
            seconds=seconds,
            created_at=now,
        )
        Appeal.objects.filter(proof=proof, status=Appeal.Status.OPEN).update(
            status=Appeal.Status.OVERTURNED, decided_at=now
        )
        Dispute.objects.filter(proof=proof, status=Dispute.Status.OPEN).update(
            status=Dispute.Status.APPROVED, decided_at=now
        )
        QueueLock.objects.filter(proof=proof).delete()
        _tell_resident(
            proof=proof,
            kind=Kind.PROOF_APPROVED,
            params={
                "task": proof.task.title,
                "amount": claim.reward_cents,
                "balance": wallet_balance(user=proof.resident),
            },
        )
        broadcast_queue_event(
            event="decided", proof_id=proof.pk, data={"outcome": "approved", "verifier_id": actor.pk if actor else None}
        )
    return decision


def reject_proof(*, proof: Proof, actor, how: str, reason_code: int, message: str, now: datetime) -> Decision:
    """Rejects with a reason code. A first rejection can be appealed: the claim keeps its slot until the
    appeal window passes (see sweep) or the appeal is decided; an appeal's or dispute's rejection is final."""
    if reason_code not in Decision.Reason.values:
        raise ValueError("unknown reason code")
    with transaction.atomic():
        _check_lock(proof=proof, actor=actor, now=now)
        opened_at, seconds = _seconds(proof=proof, actor=actor, now=now)
        final = proof.status in {S.APPEALED, S.DISPUTED}
        is_appeal = proof.status == S.APPEALED
        _take_decision(proof=proof, from_statuses=Proof.OPEN, to_status=S.REJECTED, now=now)
        decision = Decision.objects.create(
            proof=proof,
            decided_by=actor,
            how=how,
            outcome=Decision.Outcome.REJECTED,
            reason_code=reason_code,
            message=message,
            is_appeal=is_appeal,
            opened_at=opened_at,
            seconds=seconds,
            created_at=now,
        )
        if final:
            Appeal.objects.filter(proof=proof, status=Appeal.Status.OPEN).update(
                status=Appeal.Status.UPHELD, decided_at=now
            )
            Dispute.objects.filter(proof=proof, status=Dispute.Status.OPEN).update(
                status=Dispute.Status.REJECTED, decided_at=now
            )
            _end_claim(claim_id=proof.claim_id, now=now)
        QueueLock.objects.filter(proof=proof).delete()
        reason = Decision.Reason(reason_code).label
        _tell_resident(
            proof=proof,
            kind=Kind.PROOF_REJECTED,
            # Lazy, so the reason is rendered in the resident's language, not the verifier's.
            params={"task": proof.task.title, "reason": format_lazy("{}. {}", reason, message) if message else reason},
        )
        broadcast_queue_event(
            event="decided", proof_id=proof.pk, data={"outcome": "rejected", "verifier_id": actor.pk if actor else None}
        )
    return decision


def _end_claim(*, claim_id: int, now: datetime) -> None:
    claim = Claim.objects.get(pk=claim_id)
    if claim.status in Claim.HOLDING:
        task_services.reject_claim(claim=claim, now=now)


def request_changes(*, proof: Proof, actor, message: str, now: datetime) -> Decision:
    """Sends the proof back: the claim is active again and the resident can upload a new proof."""
    if not message.strip():
        raise ValueError("a message is required")
    with transaction.atomic():
        _check_lock(proof=proof, actor=actor, now=now)
        opened_at, seconds = _seconds(proof=proof, actor=actor, now=now)
        _take_decision(proof=proof, from_statuses=(S.QUEUED, S.PEER_PENDING), to_status=S.CHANGES, now=now)
        task_services.reopen_claim_for_changes(claim=Claim.objects.get(pk=proof.claim_id), now=now)
        decision = Decision.objects.create(
            proof=proof,
            decided_by=actor,
            how=Decision.How.PEER
            if proof.is_peer and actor and actor.pk == proof.task.poster_id
            else Decision.How.HUMAN,
            outcome=Decision.Outcome.CHANGES,
            message=message,
            opened_at=opened_at,
            seconds=seconds,
            created_at=now,
        )
        QueueLock.objects.filter(proof=proof).delete()
        _tell_resident(proof=proof, kind=Kind.CHANGES_REQUESTED, params={"task": proof.task.title, "note": message})
        broadcast_queue_event(
            event="decided", proof_id=proof.pk, data={"outcome": "changes", "verifier_id": actor.pk if actor else None}
        )
    return decision


def _tell_resident(*, proof: Proof, kind: str, params: dict) -> None:
    """The resident's notice (and e-mail for approvals and rejections), sent when the decision commits."""
    notify(
        recipient=proof.resident,
        kind=kind,
        params=params,
        link=reverse("verification:proof", args=[proof.pk]),
    )


# --- Queue locks ---------------------------------------------------------------------------------


def queue_for(*, verifier, department_id: int | None = None):
    """Proofs a verifier may decide, oldest first: their departments' (or, for peer tasks, any) proofs,
    appeals of rejections made by someone else, and disputes."""
    queryset = Proof.objects.filter(status__in=Proof.IN_QUEUE)
    departments = list(verifier.departments.values_list("pk", flat=True))
    queryset = queryset.filter(Q(department_id__in=departments) | Q(department__isnull=True))
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    # NOT EXISTS instead of a join, so PostgreSQL can walk the partial index on (submitted_at, id) in order
    # and stop at the first rows instead of sorting the whole queue.
    own_rejections = Appeal.objects.filter(proof=OuterRef("pk"), rejected_by=verifier, status=Appeal.Status.OPEN)
    queryset = queryset.exclude(Exists(own_rejections))
    return queryset.order_by("submitted_at", "pk")


def locked_by_others(*, verifier, now: datetime) -> Exists:
    return Exists(QueueLock.objects.filter(proof=OuterRef("pk"), expires_at__gt=now).exclude(verifier=verifier))


def open_proof(*, proof: Proof, verifier, now: datetime) -> QueueLock:
    """Locks the proof for this verifier for LOCK_MINUTES (renewing their own lock); raises LockedByOther."""
    expires = now + timedelta(minutes=LOCK_MINUTES)
    with transaction.atomic():
        mine = QueueLock.objects.filter(proof=proof, verifier=verifier).update(expires_at=expires)
        if mine:
            return QueueLock.objects.get(proof=proof)
        taken = QueueLock.objects.filter(proof=proof, expires_at__lte=now).update(
            verifier=verifier, opened_at=now, expires_at=expires
        )
        if taken:
            _announce_lock(proof=proof, verifier=verifier)
            return QueueLock.objects.get(proof=proof)
        try:
            with transaction.atomic():
                lock = QueueLock.objects.create(proof=proof, verifier=verifier, opened_at=now, expires_at=expires)
        except IntegrityError:
            raise LockedByOther(_("Another verifier has this proof open.")) from None
        _announce_lock(proof=proof, verifier=verifier)
        return lock


def _announce_lock(*, proof: Proof, verifier) -> None:
    """Other verifiers' queue pages show the proof as taken (sent when the lock commits)."""
    broadcast_queue_event(
        event="lock_taken", proof_id=proof.pk, data={"verifier_id": verifier.pk, "name": verifier.public_name}
    )


def open_next(*, verifier, department_id: int | None, now: datetime, after: Proof | None = None):
    """The oldest queued proof not locked by another verifier, locked for this one; None when the queue is
    empty. `after` skips up to and including that proof (the skip key)."""
    queryset = queue_for(verifier=verifier, department_id=department_id).exclude(
        locked_by_others(verifier=verifier, now=now)
    )
    if after is not None:
        queryset = queryset.filter(
            Q(submitted_at__gt=after.submitted_at) | Q(submitted_at=after.submitted_at, pk__gt=after.pk)
        )
    for proof in queryset[:5]:
        try:
            open_proof(proof=proof, verifier=verifier, now=now)
        except LockedByOther:
            continue  # taken a moment ago by someone else: try the next
        return proof
    return None


def release_lock(*, proof: Proof, verifier) -> None:
    deleted, _details = QueueLock.objects.filter(proof=proof, verifier=verifier).delete()
    if deleted:
        broadcast_queue_event(event="lock_released", proof_id=proof.pk, data={"verifier_id": verifier.pk})


# --- Appeals, peer decisions and disputes --------------------------------------------------------


def appeal_rejection(*, proof: Proof, resident, message: str, now: datetime) -> Appeal:
    """One appeal per rejection, within the appeal window; a verifier other than the rejecting one decides."""
    policy = RiskPolicy.current()
    if proof.resident_id != resident.pk:
        raise AppealNotAllowed(_("This is not your proof."))
    last = proof.decisions.order_by("-created_at", "-pk").first()
    if proof.status != S.REJECTED or last is None or last.is_appeal or proof.is_peer:
        raise AppealNotAllowed(_("This decision cannot be appealed."))
    if last.created_at + timedelta(days=policy.appeal_days) < now:
        raise AppealNotAllowed(_("The time to appeal has passed."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    proof=proof, resident=resident, message=message, rejected_by=last.decided_by, created_at=now
                )
        except IntegrityError:
            raise AppealNotAllowed(_("You have already appealed this decision.")) from None
        updated = Proof.objects.filter(pk=proof.pk, status=S.REJECTED).update(status=S.APPEALED, decided_at=None)
        if not updated:
            raise AppealNotAllowed(_("This decision cannot be appealed."))
        claim = Claim.objects.get(pk=proof.claim_id)
        if claim.status not in Claim.HOLDING:
            raise AppealNotAllowed(_("The time to appeal has passed."))
    return appeal


def poster_decide(*, proof: Proof, poster, approve: bool, reason_code: int | None, message: str, now: datetime):
    """The poster of a peer task confirms or rejects the proof."""
    if not proof.is_peer or proof.task.poster_id != poster.pk:
        raise ProofNotAllowed(_("Only the poster of the task can confirm it."))
    if approve:
        return approve_proof(proof=proof, actor=poster, how=Decision.How.PEER, now=now, message=message)
    return reject_proof(
        proof=proof,
        actor=poster,
        how=Decision.How.PEER,
        reason_code=reason_code or Decision.Reason.OTHER,
        message=message,
        now=now,
    )


def open_dispute(*, proof: Proof, user, message: str, now: datetime) -> Dispute:
    """Either side of a peer task can ask a verifier to decide: the poster while the proof waits for them,
    the resident after the poster rejected it (before the claim ended)."""
    if not proof.is_peer or user.pk not in {proof.resident_id, proof.task.poster_id}:
        raise DisputeNotAllowed(_("Only the two sides of a neighbour task can open a dispute."))
    allowed = {S.PEER_PENDING} if user.pk == proof.task.poster_id else {S.REJECTED}
    with transaction.atomic():
        updated = Proof.objects.filter(pk=proof.pk, status__in=allowed).update(status=S.DISPUTED, decided_at=None)
        if not updated:
            raise DisputeNotAllowed(_("A dispute cannot be opened now."))
        if Claim.objects.get(pk=proof.claim_id).status not in Claim.HOLDING:
            raise DisputeNotAllowed(_("A dispute cannot be opened now."))
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(proof=proof, opened_by=user, message=message, created_at=now)
        except IntegrityError:
            raise DisputeNotAllowed(_("This proof already had a dispute.")) from None
    proof.status = S.DISPUTED
    return dispute


# --- Sweeps --------------------------------------------------------------------------------------


def sweep(*, now: datetime) -> int:
    """Peer proofs the poster did not answer in time are approved; rejections not appealed in time become
    final; photos past the retention time are deleted (hashes stay). Idempotent; returns the count."""
    policy = RiskPolicy.current()
    count = 0
    due = now - timedelta(days=policy.peer_confirm_days)
    for proof in Proof.objects.filter(status=S.PEER_PENDING, submitted_at__lte=due).select_related("resident"):
        try:
            approve_proof(proof=proof, actor=None, how=Decision.How.AUTO, now=now)
            count += 1
        except AlreadyDecided:
            continue
    appeal_due = now - timedelta(days=policy.appeal_days)
    for proof in Proof.objects.filter(
        status=S.REJECTED, decided_at__lte=appeal_due, claim__status=Claim.Status.SUBMITTED
    ):
        with transaction.atomic():
            _end_claim(claim_id=proof.claim_id, now=now)
        count += 1
    count += delete_old_photos(now=now, retention_days=policy.photo_retention_days)
    return count


def delete_old_photos(*, now: datetime, retention_days: int) -> int:
    cutoff = now - timedelta(days=retention_days)
    decided = Proof.objects.filter(
        status__in=[S.APPROVED, S.REJECTED, S.CHANGES], decided_at__lte=cutoff, photos_deleted_at__isnull=True
    )
    count = 0
    for proof in decided:
        for photo in proof.photos.exclude(display=""):
            _delete_files([photo.display, photo.thumbnail])
            ProofPhoto.objects.filter(pk=photo.pk).update(display="", thumbnail="")
            count += 1
        Proof.objects.filter(pk=proof.pk).update(photos_deleted_at=now)
    return count


def delete_resident_photos(*, resident, now: datetime) -> int:
    """Deletes every stored photo of a resident's proofs and the place they were taken (account deletion).
    The proofs, decisions and perceptual hashes stay: they are the record of what was paid and why, and the
    hashes (not images) keep duplicate detection working. Files are removed after the commit."""
    names: list[str] = []
    with transaction.atomic():
        photos_qs = ProofPhoto.objects.filter(proof__resident=resident)
        for display, thumbnail in photos_qs.exclude(display="").values_list("display", "thumbnail"):
            names.extend(name for name in (display, thumbnail) if name)
        count = photos_qs.update(display="", thumbnail="", latitude=None, longitude=None)
        Proof.objects.filter(resident=resident, photos_deleted_at__isnull=True).update(photos_deleted_at=now)
        transaction.on_commit(lambda: _delete_files(names))
    return count
