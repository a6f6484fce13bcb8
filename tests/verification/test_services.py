"""Submitting proofs, the policy's routing, decisions that pay once, appeals, peer tasks and sweeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage

from tasks.models import Claim
from tests.factories import make_user
from tests.verification import helpers
from tests.verification.helpers import NOW, PLACE
from verification import services
from verification.exceptions import AlreadyDecided, AppealNotAllowed, LockedByOther, PhotoRejected, ProofNotAllowed
from verification.models import Appeal, Decision, PhotoHash, Proof, ProofPhoto, QueueLock, RiskPolicy
from verification.services import Upload
from wallet.services import escrow_balance, wallet_balance

LATER = NOW + dt.timedelta(hours=3)  # photos are taken at 12:30+03:00 = 09:30 UTC


def submit(claim, resident, uploads=None, key="k1", now=LATER, **kw):
    return services.submit_proof(
        claim=claim,
        resident=resident,
        uploads=helpers.good_upload() if uploads is None else uploads,
        note="Done",
        submission_key=key,
        now=now,
        **kw,
    )


def test_a_clean_proof_from_a_trusted_resident_is_auto_approved_and_paid(trusting_policy, claim, resident, task):
    proof = submit(claim, resident)
    assert proof.status == Proof.Status.APPROVED
    assert proof.flags == []
    assert wallet_balance(user=resident) == 500
    assert escrow_balance(task_key=task.task_key) == 1000
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    decision = proof.decisions.get()
    assert (decision.how, decision.outcome, decision.decided_by) == ("auto", "approved", None)
    photo = proof.photos.get()
    assert default_storage.exists(photo.display) and default_storage.exists(photo.thumbnail)
    assert photo.taken_at == dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
    assert PhotoHash.objects.filter(proof=proof).count() == 1


def test_a_new_resident_is_queued_even_with_a_clean_proof(claim, resident):
    proof = submit(claim, resident)
    assert proof.status == Proof.Status.QUEUED
    assert proof.queue_reasons == ["new_resident"]
    assert wallet_balance(user=resident) == 0


def test_the_audit_sample_queues_an_auto_approvable_proof(claim, resident):
    RiskPolicy.objects.create(min_approved_proofs=0, audit_share_percent=10)
    proof = submit(claim, resident, audit_draw=0.01)
    assert proof.status == Proof.Status.QUEUED and proof.audit_sample is True
    assert proof.queue_reasons == ["audit_sample"]


def test_an_old_far_away_photo_lands_in_the_queue_with_its_flags(trusting_policy, claim, resident):
    far = helpers.photo_file(taken="2025:01:01 10:00:00", gps=(60.1699, 24.9384))
    proof = submit(claim, resident, uploads=[Upload(far)])
    assert proof.status == Proof.Status.QUEUED
    assert {f["code"] for f in proof.flags} == {"taken_before_claim", "far_from_place"}
    assert proof.queue_reasons == ["flags"]


def test_a_duplicate_of_someone_elses_photo_is_flagged(trusting_policy, task, resident, neighbour):
    first = submit(helpers.claim(task, neighbour), neighbour, uploads=[Upload(helpers.photo_file(seed=7))], key="a")
    assert first.status == Proof.Status.APPROVED
    second = submit(helpers.claim(task, resident), resident, uploads=[Upload(helpers.photo_file(seed=7))], key="b")
    assert second.status == Proof.Status.QUEUED
    assert [f["code"] for f in second.flags] == ["duplicate"]
    assert second.flags[0]["params"]["own"] is False


def test_a_double_submit_returns_the_first_proof_and_stores_nothing_more(claim, resident):
    first = submit(claim, resident, key="same")
    again = submit(claim, resident, key="same")
    assert again.pk == first.pk
    assert Proof.objects.count() == 1 and ProofPhoto.objects.count() == 1


def test_a_second_proof_for_a_submitted_claim_is_refused(claim, resident):
    submit(claim, resident, key="one")
    claim.refresh_from_db()
    with pytest.raises(ProofNotAllowed):
        submit(claim, resident, key="two")
    assert Proof.objects.count() == 1


def test_upload_after_the_claim_expired_is_refused_and_nothing_is_stored(claim, resident):
    with pytest.raises(ProofNotAllowed):
        submit(claim, resident, now=claim.expires_at + dt.timedelta(minutes=1))
    assert Proof.objects.count() == 0 and ProofPhoto.objects.count() == 0


def test_upload_to_someone_elses_claim_is_refused(claim, neighbour):
    with pytest.raises(ProofNotAllowed):
        submit(claim, neighbour)
    assert Proof.objects.count() == 0


def test_a_bad_file_among_good_ones_stores_nothing(claim, resident, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.jpg", b"not really")
    with pytest.raises(PhotoRejected):
        submit(claim, resident, uploads=[Upload(helpers.photo_file()), Upload(bad)])
    assert Proof.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE


def test_too_many_files_are_refused(claim, resident):
    with pytest.raises(PhotoRejected) as caught:
        submit(claim, resident, uploads=[Upload(helpers.photo_file()) for _ in range(7)])
    assert caught.value.code == "too_many_files"


def test_a_before_after_task_needs_both_photos_of_the_same_scene(db, parks, publisher, resident):
    task = helpers.city_task(department=parks, creator=publisher, before_after=True)
    claim = helpers.claim(task, resident)
    with pytest.raises(PhotoRejected):
        submit(claim, resident, uploads=[Upload(helpers.photo_file(), "after")])
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import ImageOps

    from verification.sample_photos import photo_like_image, with_exif

    scene = photo_like_image(800, 600, seed=1)
    exif = {"taken": "2026:06:01 12:30:00", "offset": "+03:00", "gps": PLACE}
    other_place = SimpleUploadedFile("b.jpg", with_exif(ImageOps.invert(scene).rotate(90), **exif))
    before = Upload(SimpleUploadedFile("a.jpg", with_exif(scene, **exif)), "before")
    proof = submit(claim, resident, uploads=[before, Upload(other_place, "after")])
    assert [f["code"] for f in proof.flags] == ["before_after_mismatch"]


def queued_proof(claim, resident):
    proof = submit(claim, resident)
    assert proof.status == Proof.Status.QUEUED
    return proof


def test_a_verifier_approval_pays_once_and_records_the_seconds(claim, resident, verifier, task):
    proof = queued_proof(claim, resident)
    opened = services.open_next(verifier=verifier, department_id=None, now=LATER)
    assert opened.pk == proof.pk
    services.approve_proof(proof=proof, actor=verifier, how="human", now=LATER + dt.timedelta(seconds=7))
    with pytest.raises(AlreadyDecided):
        services.approve_proof(proof=proof, actor=verifier, how="human", now=LATER + dt.timedelta(seconds=8))
    assert wallet_balance(user=resident) == 500
    decision = Decision.objects.get(proof=proof)
    assert (decision.decided_by, decision.how, decision.seconds) == (verifier, "human", 7.0)
    assert not QueueLock.objects.exists()


def test_the_queue_lock_keeps_a_second_verifier_out_for_five_minutes(claim, resident, verifier, parks):
    from people import roles

    other = make_user("toinen@example.fi", role=roles.VERIFIER, departments=[parks])
    proof = queued_proof(claim, resident)
    assert services.open_next(verifier=verifier, department_id=None, now=LATER).pk == proof.pk
    assert services.open_next(verifier=other, department_id=None, now=LATER + dt.timedelta(minutes=1)) is None
    with pytest.raises(LockedByOther):
        services.open_proof(proof=proof, verifier=other, now=LATER + dt.timedelta(minutes=2))
    with pytest.raises(LockedByOther):
        services.approve_proof(proof=proof, actor=other, how="human", now=LATER + dt.timedelta(minutes=2))
    # After the lock times out the other verifier gets it.
    assert services.open_next(verifier=other, department_id=None, now=LATER + dt.timedelta(minutes=6)).pk == proof.pk
    assert QueueLock.objects.get(proof=proof).verifier == other


def test_a_rejection_can_be_appealed_once_and_a_different_verifier_decides(claim, resident, verifier, parks, task):
    from people import roles

    proof = queued_proof(claim, resident)
    services.open_proof(proof=proof, verifier=verifier, now=LATER)
    services.reject_proof(proof=proof, actor=verifier, how="human", reason_code=2, message="Wrong park", now=LATER)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED  # keeps its slot while the rejection can be appealed
    services.appeal_rejection(proof=proof, resident=resident, message="It was the right park", now=LATER)
    with pytest.raises(AppealNotAllowed):
        services.appeal_rejection(proof=proof, resident=resident, message="again", now=LATER)
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPEALED
    assert services.open_next(verifier=verifier, department_id=None, now=LATER) is None  # not the same verifier
    with pytest.raises(AppealNotAllowed):
        services.approve_proof(proof=proof, actor=verifier, how="human", now=LATER)
    other = make_user("toinen@example.fi", role=roles.VERIFIER, departments=[parks])
    assert services.open_next(verifier=other, department_id=None, now=LATER).pk == proof.pk
    services.approve_proof(proof=proof, actor=other, how="human", now=LATER)
    assert Appeal.objects.get(proof=proof).status == Appeal.Status.OVERTURNED
    assert wallet_balance(user=resident) == 500


def test_an_unappealed_rejection_ends_the_claim_after_the_appeal_window(claim, resident, verifier, task):
    proof = queued_proof(claim, resident)
    services.reject_proof(proof=proof, actor=verifier, how="human", reason_code=1, message="", now=LATER)
    assert services.sweep(now=LATER + dt.timedelta(days=1)) == 0
    services.sweep(now=LATER + dt.timedelta(days=15))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    with pytest.raises(AppealNotAllowed):
        services.appeal_rejection(proof=proof, resident=resident, message="late", now=LATER + dt.timedelta(days=15))


def test_request_changes_lets_the_resident_upload_again(claim, resident, verifier):
    proof = queued_proof(claim, resident)
    services.request_changes(proof=proof, actor=verifier, message="Show the full bin", now=LATER)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE
    second = submit(claim, resident, key="second", now=LATER + dt.timedelta(minutes=10))
    assert second.status == Proof.Status.QUEUED
    assert second.flags == []  # the resubmitted photo of the same claim is no duplicate of itself


def test_peer_poster_confirms_and_the_resident_is_paid(db, resident, neighbour):
    task = helpers.peer_task(poster=neighbour)
    claim = helpers.claim(task, resident)
    proof = submit(claim, resident, uploads=[])
    assert proof.status == Proof.Status.PEER_PENDING
    assert [f["code"] for f in proof.flags] == ["no_photo"]
    services.poster_decide(proof=proof, poster=neighbour, approve=True, reason_code=None, message="", now=LATER)
    assert wallet_balance(user=resident) == 300
    assert Decision.objects.get(proof=proof).how == "peer"


def test_an_unanswered_peer_proof_is_approved_by_the_sweep_once(db, resident, neighbour):
    task = helpers.peer_task(poster=neighbour)
    proof = submit(helpers.claim(task, resident), resident, uploads=[])
    assert services.sweep(now=LATER + dt.timedelta(days=1)) == 0
    assert services.sweep(now=LATER + dt.timedelta(days=4)) == 1
    assert services.sweep(now=LATER + dt.timedelta(days=5)) == 0
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED
    assert wallet_balance(user=resident) == 300


def test_a_peer_rejection_can_be_disputed_and_a_verifier_decides(db, resident, neighbour, verifier):
    task = helpers.peer_task(poster=neighbour)
    proof = submit(helpers.claim(task, resident), resident, uploads=[])
    services.poster_decide(proof=proof, poster=neighbour, approve=False, reason_code=4, message="Not done", now=LATER)
    proof.refresh_from_db()
    services.open_dispute(proof=proof, user=resident, message="I did carry it", now=LATER)
    proof.refresh_from_db()
    assert proof.status == Proof.Status.DISPUTED
    assert services.open_next(verifier=verifier, department_id=None, now=LATER).pk == proof.pk
    services.approve_proof(proof=proof, actor=verifier, how="human", now=LATER)
    assert wallet_balance(user=resident) == 300


def test_the_retention_sweep_deletes_photos_but_keeps_the_hashes(trusting_policy, claim, resident):
    proof = submit(claim, resident)
    photo = proof.photos.get()
    names = [photo.display, photo.thumbnail]
    services.sweep(now=LATER + dt.timedelta(days=89))
    assert all(default_storage.exists(n) for n in names)
    services.sweep(now=LATER + dt.timedelta(days=91))
    photo.refresh_from_db()
    assert photo.deleted and not any(default_storage.exists(n) for n in names)
    assert PhotoHash.objects.filter(proof=proof).count() == 1
    assert services.sweep(now=LATER + dt.timedelta(days=92)) == 0
