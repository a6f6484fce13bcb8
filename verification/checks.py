"""Automatic checks on a proof: pure functions, no database and no request.

Each check takes plain values and returns a list of `Flag`s. A flag has a stable `code` (stored with the
proof, used by the policy and the queue's filters) and `params`; `flag_reason()` renders the reason text in
the reader's language, so a verifier reading in Swedish sees Swedish reasons for a flag raised earlier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Camera clocks drift; a photo a few minutes "before" the claim is the same visit.
CLOCK_SKEW = timedelta(minutes=10)
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class Flag:
    code: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"code": self.code, "params": self.params}


@dataclass(frozen=True)
class PhotoFacts:
    """What the pipeline read from one photo."""

    index: int  # 1-based position in the proof
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    phash: int
    role: str = ""  # "before", "after" or ""


@dataclass(frozen=True)
class TaskFacts:
    latitude: float | None
    longitude: float | None
    max_distance_m: int | None
    taken_after_claim: bool
    before_after: bool


@dataclass(frozen=True)
class DuplicateMatch:
    photo_index: int
    distance: int
    same_resident: bool


@dataclass(frozen=True)
class History:
    approved: int
    rejected_recently: int  # within the policy's window


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def check_capture_time(
    photos: Sequence[PhotoFacts],
    *,
    task: TaskFacts,
    claimed_at: datetime,
    submitted_at: datetime,
    max_age: timedelta,
) -> list[Flag]:
    """Missing capture time; taken before the claim; too old; taken after the upload (a wrong clock)."""
    flags = []
    for photo in photos:
        if photo.taken_at is None:
            flags.append(Flag("no_capture_time", {"photo": photo.index}))
            continue
        taken = photo.taken_at.isoformat()
        if task.taken_after_claim and photo.taken_at < claimed_at - CLOCK_SKEW:
            flags.append(Flag("taken_before_claim", {"photo": photo.index, "taken_at": taken}))
        elif photo.taken_at < submitted_at - max_age:
            flags.append(Flag("photo_too_old", {"photo": photo.index, "taken_at": taken, "days": max_age.days}))
        if photo.taken_at > submitted_at + CLOCK_SKEW:
            flags.append(Flag("taken_after_upload", {"photo": photo.index, "taken_at": taken}))
    return flags


def check_location(photos: Sequence[PhotoFacts], *, task: TaskFacts) -> list[Flag]:
    """Photos farther from the task's place than allowed, or without GPS when the task has a place."""
    if task.latitude is None or task.longitude is None:
        return []
    flags = []
    for photo in photos:
        if photo.latitude is None or photo.longitude is None:
            flags.append(Flag("no_location", {"photo": photo.index}))
            continue
        if task.max_distance_m is None:
            continue
        distance = haversine_m(task.latitude, task.longitude, photo.latitude, photo.longitude)
        if distance > task.max_distance_m:
            flags.append(
                Flag("far_from_place", {"photo": photo.index, "metres": round(distance), "limit": task.max_distance_m})
            )
    return flags


def check_duplicates(matches: Sequence[DuplicateMatch]) -> list[Flag]:
    """One flag per photo that nearly matches an earlier photo anywhere in eRaha (closest match first)."""
    best: dict[int, DuplicateMatch] = {}
    for match in matches:
        current = best.get(match.photo_index)
        if current is None or match.distance < current.distance:
            best[match.photo_index] = match
    return [
        Flag("duplicate", {"photo": m.photo_index, "distance": m.distance, "own": m.same_resident})
        for m in sorted(best.values(), key=lambda m: m.photo_index)
    ]


def check_before_after(photos: Sequence[PhotoFacts], *, task: TaskFacts, max_scene_distance: int) -> list[Flag]:
    """Before and after photos should show the same place: their hashes must not be too far apart."""
    if not task.before_after:
        return []
    before = [p for p in photos if p.role == "before"]
    after = [p for p in photos if p.role == "after"]
    if not before or not after:
        return [Flag("before_after_missing")]
    distance = min(hamming(b.phash, a.phash) for b in before for a in after)
    if distance > max_scene_distance:
        return [Flag("before_after_mismatch", {"distance": distance})]
    return []


def check_history(history: History, *, max_recent_rejections: int) -> list[Flag]:
    if history.rejected_recently > max_recent_rejections:
        return [Flag("rejection_history", {"count": history.rejected_recently})]
    return []


def flag_reason(code: str, params: dict) -> str:
    """The reason text of a flag in the active language."""
    photo = params.get("photo")
    if code == "no_capture_time":
        return _("Photo %(photo)s has no capture time.") % {"photo": photo}
    if code == "taken_before_claim":
        return _("Photo %(photo)s was taken %(when)s, before the task was claimed.") % {
            "photo": photo,
            "when": _when(params.get("taken_at")),
        }
    if code == "photo_too_old":
        return ngettext(
            "Photo %(photo)s was taken %(when)s, more than %(days)s day before the upload.",
            "Photo %(photo)s was taken %(when)s, more than %(days)s days before the upload.",
            params.get("days", 0),
        ) % {"photo": photo, "when": _when(params.get("taken_at")), "days": params.get("days", 0)}
    if code == "taken_after_upload":
        return _("Photo %(photo)s claims to be taken %(when)s, after the upload: the camera clock is wrong.") % {
            "photo": photo,
            "when": _when(params.get("taken_at")),
        }
    if code == "no_location":
        return _("Photo %(photo)s has no GPS position, so the distance to the place cannot be checked.") % {
            "photo": photo
        }
    if code == "far_from_place":
        return _("Photo %(photo)s was taken %(metres)s m from the task's place (at most %(limit)s m allowed).") % {
            "photo": photo,
            "metres": params.get("metres"),
            "limit": params.get("limit"),
        }
    if code == "duplicate":
        if params.get("own"):
            return _("Photo %(photo)s is nearly identical to a photo this resident sent earlier.") % {"photo": photo}
        return _("Photo %(photo)s is nearly identical to an earlier photo sent by someone else.") % {"photo": photo}
    if code == "before_after_missing":
        return _("The task asks for a before and an after photo, and one of them is missing.")
    if code == "before_after_mismatch":
        return _("The before and after photos seem to show different places.")
    if code == "rejection_history":
        return ngettext(
            "The resident has had %(count)s proof rejected recently.",
            "The resident has had %(count)s proofs rejected recently.",
            params.get("count", 0),
        ) % {"count": params.get("count", 0)}
    if code == "no_photo":
        return _("No photo: the poster confirms the work.")
    return code


def _when(iso: str | None) -> str:
    if not iso:
        return "?"
    try:
        return date_format(localtime(datetime.fromisoformat(iso)), "SHORT_DATETIME_FORMAT")
    except ValueError:
        return iso
