"""Demo proofs: photos generated with Pillow (EXIF capture time and GPS) so the queue and auto-approval can be
tried at once. The demo resident (asukas) gets three approved proofs, so their next clean proof is approved
automatically; other residents' proofs wait in the queue, some with flags (an old photo, far away, a
duplicate). Idempotent: every proof has a fixed submission key and is skipped when it exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ImageDraw

from people.demo import demo_user
from tasks import exceptions as task_exceptions
from tasks.models import Claim, Task
from tasks.services import claim_task
from verification import services
from verification.models import Proof, RiskPolicy
from verification.sample_photos import photo_like_image, with_exif

# (resident, kind of photo); kinds: "good", "old", "far", "duplicate", "no_gps"
QUEUED = [
    ("elsa@example.fi", "good"),
    ("elsa@example.fi", "old"),
    ("mika@example.fi", "far"),
    ("mika@example.fi", "duplicate"),
    ("sara@example.fi", "no_gps"),
    ("sara@example.fi", "good"),
]
HELSINKI = (60.1699, 24.9384)


def _photo(task: Task, kind: str, *, now, seed: int, after: bool = False) -> SimpleUploadedFile:
    local = timezone.localtime(now - timedelta(minutes=5 if after else 20))
    taken = local.strftime("%Y:%m:%d %H:%M:%S")
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}"
    gps = (float(task.latitude), float(task.longitude)) if task.has_place else (61.1719, 28.7526)
    if kind == "old":
        taken = (local - timedelta(days=400)).strftime("%Y:%m:%d %H:%M:%S")
    if kind == "far":
        gps = HELSINKI
    image = photo_like_image(1280, 960, seed=seed)
    if after:  # the same place, the litter gone: a patch of the ground repainted
        ImageDraw.Draw(image).rectangle([500, 600, 760, 760], fill=(70, 110, 60))
    data = with_exif(image, taken=taken, offset=offset, gps=None if kind == "no_gps" else gps)
    return SimpleUploadedFile(f"demo-{seed}.jpg", data, content_type="image/jpeg")


def _open_tasks():
    return list(Task.objects.filter(kind=Task.Kind.CITY, department__slug__in=["parks", "youth"]).order_by("pk"))


def _submit(*, resident, task, kind, key, seed, now) -> Proof | None:
    claim = Claim.objects.filter(task=task, resident=resident, status=Claim.Status.ACTIVE).first()
    if claim is None:
        try:  # claimed an hour ago, so the photos are taken after the claim
            claim = claim_task(task=task, resident=resident, now=now - timedelta(hours=1))
        except task_exceptions.TaskError:
            return None
    if task.before_after:
        uploads = [
            services.Upload(_photo(task, kind, now=now, seed=seed), "before"),
            services.Upload(_photo(task, kind, now=now, seed=seed, after=True), "after"),
        ]
    else:
        uploads = [services.Upload(_photo(task, kind, now=now, seed=seed + 1000 * i)) for i in range(task.photo_count)]
    return services.submit_proof(
        claim=claim, resident=resident, uploads=uploads, note="", submission_key=key, now=now, audit_draw=0.99
    )


def seed(*, now) -> list[str]:
    if not RiskPolicy.objects.exists():
        RiskPolicy.objects.create()
    verifier = demo_user("tarkastaja@example.fi")
    tasks = _open_tasks()
    made = 0
    # Three approved proofs make the demo resident trusted, so the next clean proof is approved at once.
    resident = demo_user("asukas@example.fi")
    for index in range(3):
        key = f"demo:history:{index}"
        if Proof.objects.filter(submission_key=key).exists():
            continue
        task = next((t for t in tasks[index::3] if t.category.allows_auto_approval), None)
        if task is None:
            continue
        proof = _submit(resident=resident, task=task, kind="good", key=key, seed=9000 + index, now=now)
        if proof is None:
            continue
        made += 1
        if proof.is_open:
            services.approve_proof(proof=proof, actor=verifier, how="human", now=now)
    for index, (email, kind) in enumerate(QUEUED):
        key = f"demo:queue:{index}"
        if Proof.objects.filter(submission_key=key).exists():
            continue
        # The duplicate reuses the photo of the first queued proof.
        seed_number = 9100 if kind == "duplicate" else 9100 + index
        task = tasks[(index + 7) % len(tasks)] if tasks else None
        if task and _submit(resident=demo_user(email), task=task, kind=kind, key=key, seed=seed_number, now=now):
            made += 1
    queued = Proof.objects.filter(status__in=Proof.IN_QUEUE).count()
    return [f"Verification: {made} demo proofs made now; {queued} waiting in /staff/queue/."]
