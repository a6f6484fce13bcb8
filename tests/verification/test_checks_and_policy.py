"""The automatic checks and the risk policy as table tests (pure functions, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from verification import checks
from verification.checks import DuplicateMatch, Flag, History, PhotoFacts, TaskFacts
from verification.policy import AUTO_APPROVE, QUEUE, Rules, decide

CLAIMED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
SUBMITTED = CLAIMED + dt.timedelta(hours=2)
PLACE = (61.1719, 28.7526)
TASK = TaskFacts(latitude=PLACE[0], longitude=PLACE[1], max_distance_m=200, taken_after_claim=True, before_after=False)


def photo(taken=CLAIMED + dt.timedelta(hours=1), lat=PLACE[0], lon=PLACE[1], phash=0, role="", index=1):
    return PhotoFacts(index=index, taken_at=taken, latitude=lat, longitude=lon, phash=phash, role=role)


def codes(flags):
    return [flag.code for flag in flags]


@pytest.mark.parametrize(
    ("taken", "task", "expected"),
    [
        (CLAIMED + dt.timedelta(hours=1), TASK, []),
        (CLAIMED - dt.timedelta(minutes=5), TASK, []),  # within the clock skew
        (CLAIMED - dt.timedelta(hours=1), TASK, ["taken_before_claim"]),
        (CLAIMED - dt.timedelta(days=30), TASK, ["taken_before_claim"]),
        (CLAIMED - dt.timedelta(days=1), TaskFacts(None, None, None, False, False), []),
        (CLAIMED - dt.timedelta(days=5), TaskFacts(None, None, None, False, False), ["photo_too_old"]),
        (SUBMITTED + dt.timedelta(hours=3), TASK, ["taken_after_upload"]),
        (None, TASK, ["no_capture_time"]),
    ],
)
def test_capture_time_check(taken, task, expected):
    flags = checks.check_capture_time(
        [photo(taken=taken)], task=task, claimed_at=CLAIMED, submitted_at=SUBMITTED, max_age=dt.timedelta(days=3)
    )
    assert codes(flags) == expected


@pytest.mark.parametrize(
    ("lat", "lon", "task", "expected"),
    [
        (PLACE[0], PLACE[1], TASK, []),
        (PLACE[0] + 0.001, PLACE[1], TASK, []),  # about 111 m north
        (PLACE[0] + 0.01, PLACE[1], TASK, ["far_from_place"]),  # about 1.1 km
        (60.1699, 24.9384, TASK, ["far_from_place"]),  # Helsinki
        (None, None, TASK, ["no_location"]),
        (None, None, TaskFacts(None, None, None, True, False), []),  # no place: GPS does not matter
        (60.1699, 24.9384, TaskFacts(PLACE[0], PLACE[1], None, True, False), []),  # place but no limit
    ],
)
def test_location_check(lat, lon, task, expected):
    assert codes(checks.check_location([photo(lat=lat, lon=lon)], task=task)) == expected


def test_far_flag_names_the_distance_and_the_limit():
    (flag,) = checks.check_location([photo(lat=PLACE[0] + 0.01)], task=TASK)
    assert flag.params["limit"] == 200
    assert 1100 <= flag.params["metres"] <= 1120
    assert "1" in checks.flag_reason(flag.code, flag.params)


def test_haversine_between_imatra_and_helsinki_is_about_236_km():
    assert checks.haversine_m(*PLACE, 60.1699, 24.9384) == pytest.approx(235_700, rel=0.005)


@pytest.mark.parametrize(
    ("matches", "expected"),
    [
        ([], []),
        ([DuplicateMatch(1, 4, False)], [{"photo": 1, "distance": 4, "own": False}]),
        (
            [DuplicateMatch(1, 9, True), DuplicateMatch(1, 2, False), DuplicateMatch(2, 5, True)],
            [{"photo": 1, "distance": 2, "own": False}, {"photo": 2, "distance": 5, "own": True}],
        ),
    ],
)
def test_duplicate_check_flags_each_photo_once_with_its_closest_match(matches, expected):
    assert [flag.params for flag in checks.check_duplicates(matches)] == expected


BA_TASK = TaskFacts(None, None, None, True, True)


@pytest.mark.parametrize(
    ("before", "after", "task", "expected"),
    [
        (0, 0b1111, BA_TASK, []),
        (0, (1 << 40) - 1, BA_TASK, ["before_after_mismatch"]),
        (0, 0, TASK, []),  # task without a pair
    ],
)
def test_before_after_check(before, after, task, expected):
    photos = [photo(phash=before, role="before"), photo(phash=after, role="after", index=2)]
    assert codes(checks.check_before_after(photos, task=task, max_scene_distance=28)) == expected


def test_before_after_check_flags_a_missing_half():
    assert codes(checks.check_before_after([photo(role="after")], task=BA_TASK, max_scene_distance=28)) == [
        "before_after_missing"
    ]


@pytest.mark.parametrize(("recent", "expected"), [(0, []), (1, []), (2, ["rejection_history"])])
def test_history_check(recent, expected):
    assert (
        codes(checks.check_history(History(approved=5, rejected_recently=recent), max_recent_rejections=1)) == expected
    )


def test_every_flag_code_has_a_reason_text():
    for code in [
        "no_capture_time",
        "taken_before_claim",
        "photo_too_old",
        "taken_after_upload",
        "no_location",
        "far_from_place",
        "duplicate",
        "before_after_missing",
        "before_after_mismatch",
        "rejection_history",
        "no_photo",
    ]:
        params = {"photo": 1, "taken_at": CLAIMED.isoformat(), "days": 3, "metres": 900, "limit": 200, "count": 2}
        assert checks.flag_reason(code, params) != code


TRUSTED = History(approved=5, rejected_recently=0)
RULES = Rules(min_approved_proofs=3, audit_share_percent=10)


@pytest.mark.parametrize(
    ("flags", "history", "category_allows", "rules", "draw", "action", "reasons"),
    [
        ([], TRUSTED, True, RULES, 0.5, AUTO_APPROVE, ()),
        ([], TRUSTED, True, RULES, 0.05, QUEUE, ("audit_sample",)),
        ([], TRUSTED, True, RULES, 0.10, AUTO_APPROVE, ()),  # the share is "below 10 %"
        ([], TRUSTED, True, Rules(audit_share_percent=0), 0.0, AUTO_APPROVE, ()),
        ([], TRUSTED, True, Rules(audit_share_percent=100), 0.99, QUEUE, ("audit_sample",)),
        ([Flag("far_from_place")], TRUSTED, True, RULES, 0.5, QUEUE, ("flags",)),
        ([], History(approved=2, rejected_recently=0), True, RULES, 0.5, QUEUE, ("new_resident",)),
        ([], History(approved=9, rejected_recently=1), True, RULES, 0.5, QUEUE, ("recent_rejection",)),
        ([], TRUSTED, False, RULES, 0.5, QUEUE, ("category",)),
        ([], TRUSTED, True, Rules(auto_approve_enabled=False), 0.5, QUEUE, ("disabled",)),
        (
            [Flag("duplicate")],
            History(approved=0, rejected_recently=2),
            False,
            RULES,
            0.0,
            QUEUE,
            ("category", "flags", "new_resident", "recent_rejection"),
        ),
        (
            [Flag("no_location")],
            TRUSTED,
            True,
            Rules(tolerated_flags=frozenset({"no_location"})),
            0.5,
            AUTO_APPROVE,
            (),
        ),
    ],
)
def test_policy(flags, history, category_allows, rules, draw, action, reasons):
    outcome = decide(flags=flags, history=history, category_allows_auto=category_allows, rules=rules, audit_draw=draw)
    assert (outcome.action, outcome.reasons) == (action, reasons)


def test_the_audit_share_is_about_ten_percent_over_many_draws():
    import random

    rng = random.Random(4)
    queued = sum(
        decide(flags=[], history=TRUSTED, category_allows_auto=True, rules=RULES, audit_draw=rng.random()).action
        == QUEUE
        for _ in range(10_000)
    )
    assert 900 <= queued <= 1100
