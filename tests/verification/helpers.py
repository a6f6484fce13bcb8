"""Tasks, claims and proofs for the verification tests (tasks and escrow made through the real services)."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.models import Category, Task
from tasks.services import claim_task
from verification.sample_photos import sample_jpeg
from verification.services import Upload
from wallet import services as wallet

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
PLACE = (61.1719, 28.7526)  # Imatrankoski
_seeds = itertools.count(100)


def category(**fields) -> Category:
    slug = fields.pop("slug", "litter")
    defaults = {"name_fi": "Roskat", "name_sv": "Skräp", "name_en": "Litter", **fields}
    return Category.objects.update_or_create(slug=slug, defaults=defaults)[0]


def city_task(*, department, creator, reward=500, slots=3, now=NOW, **fields) -> Task:
    fields.setdefault("latitude", PLACE[0])
    fields.setdefault("longitude", PLACE[1])
    fields.setdefault("max_distance_m", 200)
    task = Task.objects.create(
        kind=Task.Kind.CITY,
        department=department,
        created_by=creator,
        category=fields.pop("category", None) or category(),
        title=fields.pop("title", "Pick litter in the park"),
        description="Pick up litter.",
        reward_cents=reward,
        slots=slots,
        slots_left=slots,
        deadline=now + dt.timedelta(days=10),
        status=Task.Status.OPEN,
        escrow_funded=True,
        published_at=now,
        **fields,
    )
    wallet.fund_department(department=department, amount=reward * slots, actor=None, idempotency_key=f"fd:{task.pk}")
    wallet.fund_task_escrow(
        task_key=task.task_key, amount=reward * slots, department=department, idempotency_key=f"fe:{task.pk}"
    )
    return task


def peer_task(*, poster, reward=300, now=NOW, **fields) -> Task:
    wallet.credit_card_top_up(resident=poster, amount=reward, idempotency_key=f"top:{poster.pk}:{secrets.token_hex(4)}")
    task = Task.objects.create(
        kind=Task.Kind.PEER,
        poster=poster,
        created_by=poster,
        category=fields.pop("category", None) or category(slug="help", photo_optional_for_peer=True),
        title="Carry a sofa upstairs",
        description="Help me.",
        reward_cents=reward,
        slots=1,
        slots_left=1,
        deadline=now + dt.timedelta(days=10),
        status=Task.Status.OPEN,
        escrow_funded=True,
        published_at=now,
        **fields,
    )
    wallet.fund_task_escrow(task_key=task.task_key, amount=reward, poster=poster, idempotency_key=f"fe:{task.pk}")
    return task


def claim(task, resident, now=NOW):
    return claim_task(task=task, resident=resident, now=now)


def photo_file(name="photo.jpg", *, seed=None, taken="2026:06:01 12:30:00", offset="+03:00", gps=PLACE, **kw):
    data = sample_jpeg(seed=next(_seeds) if seed is None else seed, taken=taken, offset=offset, gps=gps, **kw)
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def good_upload(**kw) -> list[Upload]:
    return [Upload(photo_file(**kw))]
