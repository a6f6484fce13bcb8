"""Upload, queue, proof and photo views: happy paths, outsiders (404), missing permission (403), bad input."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.verification import helpers
from tests.verification.helpers import NOW
from verification import services
from verification.models import Decision, PhotoHash, Proof, ProofPhoto
from verification.sample_photos import photo_like_image, sample_jpeg, with_exif
from wallet.services import wallet_balance

LATER = NOW + dt.timedelta(hours=3)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(LATER, tick=False):
        yield


def upload(client, claim, files, key="key-1", **extra):
    return client.post(
        reverse("verification:submit", args=[claim.pk]),
        {"photos": files, "note": "Done", "submission_key": key, **extra},
    )


def test_a_resident_uploads_two_photos_and_sees_the_proof_approved(client, trusting_policy, claim, resident):
    client.force_login(resident)
    page = client.get(reverse("verification:submit", args=[claim.pk]))
    assert page.status_code == 200
    assert b'capture="environment"' in page.content and b"multiple" in page.content
    response = upload(client, claim, [helpers.photo_file("a.jpg"), helpers.photo_file("b.jpg")])
    proof = Proof.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("verification:proof", args=[proof.pk])
    assert proof.status == Proof.Status.APPROVED and proof.photos.count() == 2
    assert wallet_balance(user=resident) == 500
    detail = client.get(response["Location"])
    assert detail.status_code == 200


def test_someone_elses_claim_is_not_found(client, claim, neighbour):
    client.force_login(neighbour)
    response = upload(client, claim, [helpers.photo_file()])
    assert response.status_code == 404
    assert Proof.objects.count() == 0


def test_upload_after_the_claim_expired_says_so_and_stores_nothing(client, claim, resident):
    client.force_login(resident)
    with time_machine.travel(claim.expires_at + dt.timedelta(minutes=5), tick=False):
        response = upload(client, claim, [helpers.photo_file()])
    assert response.status_code == 409
    assert response.context["form"].non_field_errors()
    assert Proof.objects.count() == 0 and ProofPhoto.objects.count() == 0


def test_a_double_submit_makes_one_proof(client, claim, resident):
    client.force_login(resident)
    first = upload(client, claim, [helpers.photo_file()], key="same")
    second = upload(client, claim, [helpers.photo_file()], key="same")
    assert first.status_code == second.status_code == 302
    assert Proof.objects.count() == 1


def test_queue_needs_the_verify_permission(client, resident):
    client.force_login(resident)
    assert client.get(reverse("verification:queue")).status_code == 403


def test_queue_shows_the_oldest_proof_with_flags_and_locks_it(client, claim, resident, verifier):
    far = helpers.photo_file(gps=(60.1699, 24.9384))
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=[services.Upload(far)], note="", submission_key="q", now=LATER
    )
    client.force_login(verifier)
    response = client.get(reverse("verification:queue"))
    assert response.status_code == 200
    assert response.context["proof"] == proof
    content = response.content.decode()
    assert [flag["code"] for flag in response.context["flags"]] == ["far_from_place"]
    assert response.context["photos"][0]["distance"] > 200_000  # Helsinki is about 236 km from the place
    assert str(response.context["flags"][0]["reason"]) in content
    assert reverse("verification:photo", args=[proof.photos.get().pk, "display"]) in content
    assert proof.lock.verifier == verifier


def test_a_verifier_clears_twenty_proofs_with_decisions_and_recorded_seconds(client, db, parks, publisher, verifier):
    task = helpers.city_task(department=parks, creator=publisher, slots=20, reward=100)
    from tests.factories import make_user

    residents = [make_user() for _ in range(20)]
    for index, person in enumerate(residents):
        claim = helpers.claim(task, person)
        services.submit_proof(
            claim=claim,
            resident=person,
            uploads=helpers.good_upload(seed=500 + index),
            note="",
            submission_key=f"p{index}",
            now=LATER,
        )
    client.force_login(verifier)
    actions = ["approve", "reject", "changes", "approve"] * 5
    for action in actions:
        page = client.get(reverse("verification:queue"))
        proof = page.context["proof"]
        data = {
            "action": action,
            "reason_code": "3" if action == "reject" else "",
            "message": "Retake" if action == "changes" else "",
        }
        response = client.post(reverse("verification:decide", args=[proof.pk]), data)
        assert response.status_code == 302
    assert client.get(reverse("verification:queue")).context["proof"] is None
    assert Decision.objects.filter(how="human").count() == 20
    assert all(d.seconds is not None for d in Decision.objects.all())
    assert sum(wallet_balance(user=r) for r in residents) == 10 * 100


def test_queue_page_query_count_does_not_grow_with_the_queue(client, db, parks, publisher, verifier):
    from tests.factories import make_user

    task = helpers.city_task(department=parks, creator=publisher, slots=10, reward=100)
    for index in range(3):
        person = make_user()
        services.submit_proof(
            claim=helpers.claim(task, person),
            resident=person,
            uploads=helpers.good_upload(),
            note="",
            submission_key=f"c{index}",
            now=LATER,
        )
    client.force_login(verifier)
    client.get(reverse("verification:queue"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("verification:queue"))
    for index in range(3, 9):
        person = make_user()
        services.submit_proof(
            claim=helpers.claim(task, person),
            resident=person,
            uploads=helpers.good_upload(),
            note="",
            submission_key=f"c{index}",
            now=LATER,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("verification:queue"))
    assert len(many) == len(few)


def test_a_rejection_without_a_reason_is_refused(client, claim, resident, verifier):
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="r", now=LATER
    )
    client.force_login(verifier)
    client.get(reverse("verification:queue"))
    response = client.post(reverse("verification:decide", args=[proof.pk]), {"action": "reject"})
    assert response.status_code == 400
    proof.refresh_from_db()
    assert proof.status == Proof.Status.QUEUED


def test_a_verifier_of_another_department_does_not_find_the_proof(client, claim, resident, youth):
    from people import roles
    from tests.factories import make_user

    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="o", now=LATER
    )
    stranger = make_user(role=roles.VERIFIER, departments=[youth])
    client.force_login(stranger)
    assert client.get(reverse("verification:queue_proof", args=[proof.pk])).status_code == 404
    assert client.post(reverse("verification:decide", args=[proof.pk]), {"action": "approve"}).status_code == 404
    proof.refresh_from_db()
    assert proof.status == Proof.Status.QUEUED


def test_photos_are_served_only_to_the_resident_the_poster_side_and_verifiers(
    client, claim, resident, neighbour, verifier
):
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="p", now=LATER
    )
    photo = proof.photos.get()
    url = reverse("verification:photo", args=[photo.pk, "display"])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(neighbour)
    assert client.get(url).status_code == 404
    client.force_login(resident)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    client.force_login(verifier)
    assert client.get(reverse("verification:photo", args=[photo.pk, "thumb"])).status_code == 200
    assert client.get(reverse("verification:photo", args=[photo.pk, "original"])).status_code == 404


def test_a_resident_sees_only_their_own_proofs(client, claim, resident, neighbour):
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="m", now=LATER
    )
    client.force_login(neighbour)
    assert client.get(reverse("verification:proof", args=[proof.pk])).status_code == 404
    assert proof not in client.get(reverse("verification:my_proofs")).context["proofs"]


def _malformed_files(rng: random.Random) -> list[tuple[str, bytes]]:
    jpeg = sample_jpeg(size=(640, 480))
    png = with_exif(photo_like_image(300, 300, seed=2), fmt="PNG")
    files = [
        ("empty.jpg", b""),
        ("text.jpg", b"just some text"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("photo.jpg", png),  # wrong extension
        ("photo.png", jpeg),
        ("photo.exe", jpeg),
        ("tiny.jpg", sample_jpeg(size=(20, 20))),
    ]
    for index in range(300):
        kind = index % 5
        if kind == 0:  # truncated
            data = jpeg[: rng.randrange(4, len(jpeg) - 200)]
        elif kind == 1:  # random bytes behind a JPEG magic number
            data = b"\xff\xd8\xff" + rng.randbytes(rng.randrange(0, 4000))
        elif kind == 2:  # random bytes behind a PNG magic number
            data = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randrange(0, 4000))
        elif kind == 3:  # a real JPEG with a stretch of bytes overwritten
            start = rng.randrange(200, len(jpeg) - 600)
            data = jpeg[:start] + rng.randbytes(400) + jpeg[start + 400 : len(jpeg) // 2]
        else:  # pure noise with an image extension
            data = rng.randbytes(rng.randrange(1, 3000))
        files.append((f"fuzz{index}.{rng.choice(['jpg', 'png', 'webp', 'heic'])}", data))
    return files


def test_upload_fuzz_every_malformed_file_gets_a_4xx_with_a_message_and_nothing_is_stored(
    client, claim, resident, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "proof_uploads": (10_000, 600)}
    client.force_login(resident)
    rng = random.Random(20260601)
    statuses = {}
    for index, (name, data) in enumerate(_malformed_files(rng)):
        response = upload(client, claim, [SimpleUploadedFile(name, data)], key=f"fuzz-{index}")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert 400 <= response.status_code < 500, (name, response.status_code)
        errors = response.context["form"].errors  # a field error (empty file) or the pipeline's message
        assert errors and all(str(message) for messages in errors.values() for message in messages), name
    assert Proof.objects.count() == 0 and ProofPhoto.objects.count() == 0 and PhotoHash.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    claim.refresh_from_db()
    assert claim.status == "active"
    assert sum(statuses.values()) >= 300


def test_too_many_files_in_one_upload_are_refused(client, claim, resident):
    client.force_login(resident)
    response = upload(client, claim, [helpers.photo_file(f"{i}.jpg") for i in range(7)])
    assert response.status_code == 400
    assert "7" not in str(response.context["form"].non_field_errors())  # names the limit, 6
    assert "6" in str(response.context["form"].non_field_errors())
    assert Proof.objects.count() == 0


def _rejected(claim, resident, verifier):
    proof = services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="rj", now=LATER
    )
    services.reject_proof(proof=proof, actor=verifier, how="human", reason_code=2, message="Wrong park", now=LATER)
    return proof


def test_a_resident_sees_the_rejection_reason_and_appeals_once(client, claim, resident, verifier):
    proof = _rejected(claim, resident, verifier)
    client.force_login(resident)
    page = client.get(reverse("verification:proof", args=[proof.pk]))
    assert page.status_code == 200 and page.context["can_appeal"]
    from django.utils import translation

    with translation.override("fi"):
        assert str(Decision.Reason(2).label) in page.content.decode()
    url = reverse("verification:appeal", args=[proof.pk])
    assert client.post(url, {"message": ""}).status_code == 302  # bad input: nothing changes
    proof.refresh_from_db()
    assert proof.status == Proof.Status.REJECTED
    assert client.post(url, {"message": "It was the right park"}).status_code == 302
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPEALED
    client.post(url, {"message": "again"})
    assert proof.appeal.message == "It was the right park"


def test_an_outsider_cannot_appeal_or_dispute(client, claim, resident, neighbour, verifier):
    proof = _rejected(claim, resident, verifier)
    client.force_login(neighbour)
    assert client.post(reverse("verification:appeal", args=[proof.pk]), {"message": "x"}).status_code == 404
    assert client.post(reverse("verification:dispute", args=[proof.pk]), {"message": "x"}).status_code == 404
    assert client.post(reverse("verification:poster_decision", args=[proof.pk]), {"approve": "1"}).status_code == 404
    proof.refresh_from_db()
    assert proof.status == Proof.Status.REJECTED


def test_the_poster_of_a_peer_task_confirms_on_the_proof_page(client, db, resident, neighbour):
    task = helpers.peer_task(poster=neighbour)
    proof = services.submit_proof(
        claim=helpers.claim(task, resident), resident=resident, uploads=[], note="Done", submission_key="pp", now=LATER
    )
    client.force_login(neighbour)
    page = client.get(reverse("verification:proof", args=[proof.pk]))
    assert page.status_code == 200 and page.context["can_poster_decide"]
    response = client.post(reverse("verification:poster_decision", args=[proof.pk]), {"approve": "1", "message": ""})
    assert response.status_code == 302
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED
    assert wallet_balance(user=resident) == 300


def test_the_resident_cannot_confirm_their_own_peer_proof(client, db, resident, neighbour):
    task = helpers.peer_task(poster=neighbour)
    proof = services.submit_proof(
        claim=helpers.claim(task, resident), resident=resident, uploads=[], note="", submission_key="own", now=LATER
    )
    client.force_login(resident)
    client.post(reverse("verification:poster_decision", args=[proof.pk]), {"approve": "1"})
    proof.refresh_from_db()
    assert proof.status == Proof.Status.PEER_PENDING
    assert wallet_balance(user=resident) == 0


def test_the_poster_opens_a_dispute_instead_of_deciding(client, db, resident, neighbour):
    task = helpers.peer_task(poster=neighbour)
    proof = services.submit_proof(
        claim=helpers.claim(task, resident), resident=resident, uploads=[], note="", submission_key="d", now=LATER
    )
    client.force_login(neighbour)
    client.post(reverse("verification:dispute", args=[proof.pk]), {"message": "Half done"})
    proof.refresh_from_db()
    assert proof.status == Proof.Status.DISPUTED and proof.dispute.opened_by == neighbour


def test_my_proofs_lists_with_a_constant_number_of_queries(client, db, parks, publisher, resident):
    task = helpers.city_task(department=parks, creator=publisher, slots=5)
    client.force_login(resident)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.submit_proof(
        claim=helpers.claim(task, resident),
        resident=resident,
        uploads=helpers.good_upload(),
        note="",
        submission_key="m0",
        now=LATER,
    )
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("verification:my_proofs"))
    other = helpers.city_task(department=parks, creator=publisher, slots=5, title="Another")
    services.submit_proof(
        claim=helpers.claim(other, resident),
        resident=resident,
        uploads=helpers.good_upload(),
        note="",
        submission_key="m1",
        now=LATER,
    )
    with CaptureQueriesContext(connection) as two:
        response = client.get(reverse("verification:my_proofs"))
    assert len(response.context["proofs"]) == 2
    assert len(two) == len(one)


def test_the_claim_proof_tag_offers_the_upload_and_then_shows_the_status(claim, resident):
    from django.template import Context, Template

    template = Template("{% load verification_tags %}{% proof_status claim %}")
    assert reverse("verification:submit", args=[claim.pk]) in template.render(Context({"claim": claim}))
    services.submit_proof(
        claim=claim, resident=resident, uploads=helpers.good_upload(), note="", submission_key="t", now=LATER
    )
    claim.refresh_from_db()
    html = template.render(Context({"claim": claim}))
    assert reverse("verification:submit", args=[claim.pk]) not in html
    assert "badge" in html


def test_my_proofs_offers_the_upload_for_claims_waiting_for_proof(client, claim, resident):
    client.force_login(resident)
    response = client.get(reverse("verification:my_proofs"))
    assert list(response.context["waiting"]) == [claim]
    assert reverse("verification:submit", args=[claim.pk]).encode() in response.content
