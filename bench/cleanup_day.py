"""Clean-up day load test: residents claim litter-pick slots, upload a photo and check their wallet while three
verifiers work the queue and the swimming hall redeems vouchers through the partner API.

One command: `.venv/bin/python bench/cleanup_day.py` (short form: 150 residents over about 60 s) or
`--full` (2,000 residents over 10 minutes). It creates the PostgreSQL database eraha_bench_cleanup (dropped and
made again each run), migrates, seeds 50 litter-pick tasks in Imatra (5 of them with fewer slots than the
residents who want them, so some claims are refused, as they must be), the residents (verified e-mail), 3
verifiers with TOTP and a swimming hall with vouchers and two API tokens, then serves the app in the
production layout (gunicorn, 2 sync workers, DJANGO_ENV=production with a fresh secret,
DJANGO_SECURE_SSL_REDIRECT=0, REDIS_URL on db 12, ALLAUTH_TRUSTED_PROXY_COUNT=1 with an X-Forwarded-For address
per resident as the reverse proxy would send) on 127.0.0.1:8200 and drives it from threads of a small
http.client client:

- each resident signs in through the real login form, claims a slot on their task, opens the upload form and
  sends one generated JPEG (Pillow; EXIF time just after the claim and GPS at the task's place; every tenth
  resident's photo is 2 km away, which is flagged and queued), then opens the wallet;
- 3 verifiers sign in through the login form and the TOTP step, then open the queue and decide each proof
  (approve; reject the far-away ones with "wrong place");
- the partner API redeems 500 vouchers (lookup, then redeem with an Idempotency-Key), spread over the run.

The risk policy is the city's clean-up-day setting: automatic approval from the first proof
(min_approved_proofs=0), the 10 % audit sample kept. Everything runs against 127.0.0.1 and is bounded in
count and time. It prints p50/p95/p99 per step, errors (refused claims on full tasks are counted separately
and checked against the exact number expected), the share decided automatically, runs `manage.py ledger_audit`
and ends with `RESULT cleanup_day errors=<n> goal=0 ok=<yes|no>`.

The scenario (seed, journeys, checks) is importable: tests/quality/test_cleanup_day.py runs it in-process
with Django's test client at a small scale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = Path(__file__).resolve().parent
if __name__ == "__main__":
    # bench/queue.py would shadow the standard library's `queue` (threads need it): drop this folder.
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != FOLDER]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import base64  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import html  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "eraha_bench_cleanup"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12")
PORT = int(os.environ.get("BENCH_PORT", "8200"))
PASSWORD = "clean-up-day-2026"
TASKS = 50
SHORT_TASKS = 5  # tasks with fewer slots than claimants: the refused claims are expected and counted
VERIFIERS = 3
PARK = (61.1719, 28.7526)  # Imatra, Koskenpuisto
REWARD = 500
VOUCHER_PRICE = 100
SUSPICIOUS_EVERY = 10  # every tenth resident's photo is taken 2 km from the place


def log(line: str) -> None:
    print(line, flush=True)


# --- the plan: who does what, and what the outcome must be ------------------------------------------------


@dataclasses.dataclass
class Plan:
    residents: int
    tasks: int = TASKS
    short_tasks: int = SHORT_TASKS
    vouchers: int = 500

    def task_of(self, index: int) -> int:
        return index % self.tasks

    def demand(self, task: int) -> int:
        return sum(1 for i in range(self.residents) if self.task_of(i) == task)

    def slots(self, task: int) -> int:
        demand = self.demand(task)
        # The first few tasks are popular: two claimants too many (at least one slot is left to win).
        return max(1, demand - 2) if task < self.short_tasks else demand + 1

    def expected_refused(self) -> int:
        return sum(max(0, self.demand(t) - self.slots(t)) for t in range(self.tasks))

    def suspicious(self, index: int) -> bool:
        return index % SUSPICIOUS_EVERY == SUSPICIOUS_EVERY - 1


def resident_email(index: int) -> str:
    return f"asukas{index}@siivous.example"


def verifier_email(index: int) -> str:
    return f"tarkastaja{index}@siivous.example"


# --- seeding (in this process, with the Django ORM) -----------------------------------------------------------


def seed(plan: Plan) -> dict:
    """Tasks (escrow funded from the parks budget), residents, verifiers with TOTP, the partner with vouchers.

    Returns {"tasks": [(pk, lat, lon)], "totp": [secret per verifier], "codes": [...], "tokens": [...]}."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from people import roles
    from people.models import User
    from people.services import assign_role, upsert_department
    from tasks.models import Category, Task
    from verification.models import RiskPolicy
    from vouchers import services as vouchers
    from vouchers.models import Partner, Product
    from wallet import services as wallet

    now = timezone.now()
    parks = upsert_department(slug="parks", name_fi="Puistot", name_sv="Parker", name_en="Parks")
    category, _ = Category.objects.get_or_create(
        slug="litter", defaults={"name_fi": "Roskat", "name_sv": "Skräp", "name_en": "Litter"}
    )
    Category.objects.filter(pk=category.pk).update(allows_auto_approval=True)
    # The city's clean-up-day setting: first-time residents are approved automatically when nothing is flagged;
    # the audit sample still sends a share to the queue.
    policy = RiskPolicy.current()
    policy.min_approved_proofs = 0
    policy.audit_share_percent = 10
    policy.save()
    publisher = User.objects.create_user(email="julkaisija@siivous.example", password=None)
    total_slots = sum(plan.slots(t) for t in range(plan.tasks))
    wallet.fund_department(
        department=parks, amount=REWARD * total_slots, actor=None, idempotency_key="cleanup:fund-parks"
    )
    tasks = []
    for number in range(plan.tasks):
        # 50 parks and beaches within about a kilometre of each other.
        lat = PARK[0] + (number % 10) * 0.0015
        lon = PARK[1] + (number // 10) * 0.003
        slots = plan.slots(number)
        task = Task.objects.create(
            kind="city",
            department=parks,
            created_by=publisher,
            category=category,
            title=f"Siivouspäivä: roskien keräys {number + 1}",
            description="Kerää roskat puistosta ja ota kuva kerätyistä pusseista.",
            address=f"Puisto {number + 1}, Imatra",
            latitude=round(lat, 6),
            longitude=round(lon, 6),
            max_distance_m=300,
            photo_count=1,
            taken_after_claim=True,
            reward_cents=REWARD,
            slots=slots,
            slots_left=slots,
            deadline=now + dt.timedelta(days=2),
            status="open",
            published_at=now,
        )
        wallet.fund_task_escrow(
            task_key=task.task_key, amount=REWARD * slots, department=parks, idempotency_key=f"cleanup:escrow:{number}"
        )
        Task.objects.filter(pk=task.pk).update(escrow_funded=True)
        tasks.append((task.pk, float(task.latitude), float(task.longitude)))
    password = make_password(PASSWORD)
    residents = User.objects.bulk_create(
        [
            User(email=resident_email(i), password=password, display_name=f"Asukas {i}", handle=f"asukas-{i}")
            for i in range(plan.residents)
        ],
        batch_size=1000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in residents],
        batch_size=1000,
    )
    secrets_ = []
    for number in range(VERIFIERS):
        user = User.objects.create_user(email=verifier_email(number), password=PASSWORD, handle=f"tarkastaja-{number}")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        assign_role(user=user, role=roles.VERIFIER)
        user.departments.add(parks)
        secret = base64.b32encode(secrets.token_bytes(20)).decode()
        TOTP.activate(user, secret)  # the verifier's phone app has the same secret
        secrets_.append(secret)
    partner = Partner.objects.create(slug="uimahalli", name="Imatran uimahalli")
    product = Product.objects.create(
        partner=partner, name_fi="Uintikerta", name_sv="Simtur", name_en="Swim", price=VOUCHER_PRICE, face_value=120
    )
    codes = []
    per_buyer = 100
    for index in range(plan.vouchers):
        if index % per_buyer == 0:
            buyer = User.objects.create_user(email=f"ostaja{index}@siivous.example", password=None)
            wallet.credit_card_top_up(
                resident=buyer, amount=VOUCHER_PRICE * per_buyer, idempotency_key=f"cleanup:top-up:{index}"
            )
        voucher = vouchers.buy_voucher(resident=buyer, product=product, idempotency_key=f"cleanup:v{index}", now=now)
        codes.append(voucher.code)
    tokens = [vouchers.create_partner_token(partner=partner, name=f"Kassa {i}")[1] for i in range(2)]
    return {"tasks": tasks, "totp": secrets_, "codes": codes, "tokens": tokens}


# --- photos ---------------------------------------------------------------------------------------------------

_PIXELS: dict[int, bytes] = {}
_PIXELS_LOCK = threading.Lock()


def _pixels(index: int, size: tuple[int, int]) -> bytes:
    """A distinct photo-like JPEG without EXIF (so near-duplicate checks see different scenes).

    A cheaper cousin of verification.sample_photos.photo_like_image (no blur): a random colour field, shapes and
    grain, about three times faster, which matters for 2,000 photos made before the day starts."""
    from PIL import Image, ImageDraw

    with _PIXELS_LOCK:
        cached = _PIXELS.pop(index, None)
    if cached is not None:
        return cached
    rng = random.Random(1000 + index)
    width, height = size
    small = Image.new("RGB", (16, 12))
    small.putdata([tuple(rng.randrange(30, 225) for _ in range(3)) for _ in range(16 * 12)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randrange(width), rng.randrange(height)
        corner = (x + rng.randrange(10, width // 4), y + rng.randrange(10, height // 4))
        draw.rectangle([x, y, *corner], fill=tuple(rng.randrange(256) for _ in range(3)))
    image = Image.blend(image, Image.effect_noise(size, 24).convert("RGB"), 0.08)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def prepare_photos(count: int, size: tuple[int, int]) -> None:
    for index in range(count):
        data = _pixels(index, size)
        with _PIXELS_LOCK:
            _PIXELS[index] = data


def photo_with_exif(*, index: int, taken: dt.datetime, place: tuple[float, float], size=(800, 600)) -> bytes:
    """The resident's photo: EXIF time `taken` (UTC) and GPS `place`, inserted as an APP1 segment."""
    from verification.sample_photos import make_exif

    exif = make_exif(taken=taken.astimezone(dt.UTC).strftime("%Y:%m:%d %H:%M:%S"), offset="+00:00", gps=place).tobytes()
    jpeg = _pixels(index, size)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + jpeg[2:]


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238: six digits, 30-second steps, SHA-1 (what allauth and phone apps use)."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


# --- transport: one browser-like session ------------------------------------------------------------------------


@dataclasses.dataclass
class Response:
    status: int
    location: str
    text: str


class HttpSession:
    """A browser on a phone, seen through the reverse proxy: cookies, CSRF tokens, one X-Forwarded-For address."""

    def __init__(self, *, port: int, address: str):
        self.port = port
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, method, path, *, fields=None, files=None, headers=None, body=None) -> Response:
        sent = {"X-Forwarded-For": self.address, "Accept-Language": "fi", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in (fields or {}).items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                )
            for name, (filename, data, content_type) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {content_type}\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
            parts.append(f"--{boundary}--\r\n".encode())
            body = b"".join(parts)
            sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif fields is not None:
            body = urlencode(fields).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
            for header, value in answer.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Response(answer.status, answer.getheader("Location") or "", text)
        finally:
            connection.close()


# --- the journeys -------------------------------------------------------------------------------------------------


class Stats:
    """Latencies per step, errors (with a sample of what went wrong) and refused claims; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.samples: list[str] = []
        self.refused = 0
        self.claimed = 0
        self.decided_by_verifiers = 0

    def time(self, step: str, started: float) -> None:
        with self.lock:
            self.latencies.setdefault(step, []).append(time.perf_counter() - started)

    def error(self, step: str, detail: str) -> None:
        with self.lock:
            self.errors[step] = self.errors.get(step, 0) + 1
            if len(self.samples) < 10:
                self.samples.append(f"{step}: {detail[:300]}")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def report(self) -> list[str]:
        lines = [f"{'step':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"]
        for step, values in self.latencies.items():
            ordered = sorted(values)

            def pct(share, ordered=ordered):
                return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

            lines.append(
                f"{step:<16}{len(ordered):>7}{pct(0.5):>9.0f}{pct(0.95):>9.0f}{pct(0.99):>9.0f}"
                f"{self.errors.get(step, 0):>8}"
            )
        return lines


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
CLAIM_LINK = re.compile(r'href="/proofs/claim/(\d+)/"')
DECIDE_FORM = re.compile(r'action="/staff/queue/(\d+)/decide/')


def _csrf(text: str) -> str:
    found = CSRF_FIELD.search(text)
    return html.unescape(found.group(1)) if found else ""


def _visible_errors(text: str) -> str:
    """The error messages of a re-rendered form, for the error samples."""
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)</', text, re.S)
    return " | ".join(html.unescape(re.sub(r"<[^>]+>", "", f)).strip() for f in found)[:300]


def _path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _step(stats: Stats, name: str, call):
    started = time.perf_counter()
    response = call()
    stats.time(name, started)
    return response


def sign_in(session, stats: Stats, *, email: str, totp_secret: str | None = None) -> bool:
    page = _step(stats, "login_form", lambda: session.request("GET", "/accounts/login/"))
    if page.status != 200:
        stats.error("login_form", f"{email}: {page.status}")
        return False
    fields = {"csrfmiddlewaretoken": _csrf(page.text), "login": email, "password": PASSWORD}
    answer = _step(stats, "login", lambda: session.request("POST", "/accounts/login/", fields=fields))
    if answer.status != 302:
        stats.error("login", f"{email}: {answer.status} {answer.text[:200]}")
        return False
    if totp_secret is None:
        return True
    if "/2fa/" not in answer.location:
        stats.error("login_2fa", f"{email}: no 2FA step, went to {answer.location}")
        return False
    page = session.request("GET", _path(answer.location))
    code = {"csrfmiddlewaretoken": _csrf(page.text), "code": totp_code(totp_secret)}
    answer = _step(stats, "login_2fa", lambda: session.request("POST", _path(answer.location), fields=code))
    if answer.status != 302:
        stats.error("login_2fa", f"{email}: {answer.status} {_visible_errors(answer.text)}")
        return False
    return True


def resident_journey(session, stats: Stats, *, index: int, plan: Plan, tasks: list, photo_size=(800, 600)) -> None:
    """Sign in, claim the slot, upload a photo, look at the wallet. Refused claims on full tasks are counted."""
    if not sign_in(session, stats, email=resident_email(index)):
        return
    task_pk, lat, lon = tasks[plan.task_of(index)]
    home = session.request("GET", f"/tasks/{task_pk}/")
    token = _csrf(home.text)
    answer = _step(
        stats,
        "claim",
        lambda: session.request("POST", f"/tasks/{task_pk}/claim/", fields={"csrfmiddlewaretoken": token}),
    )
    claimed_at = dt.datetime.now(dt.UTC)
    if answer.status != 302:
        stats.error("claim", f"task {task_pk}: {answer.status}")
        return
    detail = _step(stats, "task_detail", lambda: session.request("GET", f"/tasks/{task_pk}/"))
    if detail.status != 200:
        stats.error("task_detail", f"task {task_pk}: {detail.status}")
        return
    link = CLAIM_LINK.search(detail.text)
    if link is None:
        # Refused (the task is full); whether the refusal was right is checked against the database at the end.
        with stats.lock:
            stats.refused += 1
    else:
        with stats.lock:
            stats.claimed += 1
        claim_id = link.group(1)
        form = _step(stats, "upload_form", lambda: session.request("GET", f"/proofs/claim/{claim_id}/"))
        key = SUBMISSION_KEY.search(form.text)
        if form.status != 200 or key is None:
            stats.error("upload_form", f"claim {claim_id}: {form.status}")
            return
        # Someone who uploads from home instead of the park: 2 km away, flagged, queued.
        place = (lat + 0.018, lon) if plan.suspicious(index) else (lat + 0.0002, lon + 0.0002)
        taken = max(claimed_at, dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=1)
        photo = photo_with_exif(index=index, taken=taken, place=place, size=photo_size)
        fields = {"csrfmiddlewaretoken": _csrf(form.text), "submission_key": html.unescape(key.group(1)), "note": ""}
        files = {"photos": (f"IMG_{index:05d}.jpg", photo, "image/jpeg")}
        sent = _step(
            stats, "upload", lambda: session.request("POST", f"/proofs/claim/{claim_id}/", fields=fields, files=files)
        )
        if sent.status != 302 or "/proofs/" not in sent.location:
            stats.error("upload", f"claim {claim_id}: {sent.status} {_visible_errors(sent.text)}")
            return
    wallet = _step(stats, "wallet", lambda: session.request("GET", "/wallet/"))
    if wallet.status != 200:
        stats.error("wallet", f"{wallet.status}")


def verifier_loop(session, stats: Stats, *, number: int, totp_secret: str, residents_done, deadline: float) -> None:
    """Opens the queue and decides proofs until the residents are done and the queue is empty."""
    if not sign_in(session, stats, email=verifier_email(number), totp_secret=totp_secret):
        return
    while time.monotonic() < deadline:
        page = _step(stats, "queue_open", lambda: session.request("GET", "/staff/queue/"))
        if page.status == 302:
            page = session.request("GET", _path(page.location))
        if page.status != 200:
            stats.error("queue_open", f"{page.status}")
            time.sleep(0.5)
            continue
        found = DECIDE_FORM.search(page.text)
        if found is None:
            if residents_done():
                return
            time.sleep(0.5)  # the queue is empty for now; residents are still uploading
            continue
        proof_id = found.group(1)
        decision = {"csrfmiddlewaretoken": _csrf(page.text), "action": "approve"}
        if _is_far(page.text[: found.start()]):
            decision.update(action="reject", reason_code="2", message="Kuva on otettu kaukana tehtävän paikasta.")
        answer = _step(
            stats,
            "queue_decide",
            lambda proof_id=proof_id, decision=decision: session.request(
                "POST", f"/staff/queue/{proof_id}/decide/", fields=decision
            ),
        )
        if answer.status != 302:
            stats.error("queue_decide", f"proof {proof_id}: {answer.status} {answer.text[:200]}")
            continue
        with stats.lock:
            stats.decided_by_verifiers += 1


def _is_far(text: str) -> bool:
    # The flag's text in Finnish (the default language): "... metrin päässä" / far from the place.
    return bool(re.search(r"far_from_place|kaukana|metrin p", text))


def partner_redeem(session, stats: Stats, *, code: str, token: str, key: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    looked = _step(stats, "api_lookup", lambda: session.request("GET", f"/api/v1/vouchers/{code}", headers=auth))
    if looked.status != 200:
        stats.error("api_lookup", f"{code}: {looked.status} {looked.text[:200]}")
        return
    body = json.dumps({"code": code}).encode()
    headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": key}
    answer = _step(
        stats, "api_redeem", lambda: session.request("POST", "/api/v1/vouchers/redeem", body=body, headers=headers)
    )
    if answer.status != 200:
        stats.error("api_redeem", f"{code}: {answer.status} {answer.text[:200]}")


# --- the day: schedule everything, then check -----------------------------------------------------------------------


def run_day(
    *, plan: Plan, seeded: dict, make_session, seconds: float, threads: int, photo_size=(800, 600), concurrent=True
) -> Stats:
    """Residents start evenly over `seconds`; vouchers are redeemed over the same time; verifiers drain the queue.

    With concurrent=False (the in-process test on SQLite) everything runs one after another in this thread:
    residents, then vouchers, then the verifiers (the first one empties the queue)."""
    stats = Stats()
    started = time.monotonic()
    deadline = started + 2 * seconds + 300  # a hard bound: later residents count as errors ("timeout")
    pending = {"residents": plan.residents}

    def resident(index: int) -> None:
        delay = started + seconds * index / max(1, plan.residents) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if time.monotonic() > deadline:
            stats.error("timeout", f"resident {index} did not start before the deadline")
        else:
            try:
                resident_journey(
                    make_session(index), stats, index=index, plan=plan, tasks=seeded["tasks"], photo_size=photo_size
                )
            except Exception as error:  # noqa: BLE001 - a crash in a journey is an error to count, not to hide
                stats.error("exception", f"resident {index}: {error!r}")
        with stats.lock:
            pending["residents"] -= 1

    def voucher(index: int) -> None:
        delay = started + seconds * index / max(1, plan.vouchers) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            partner_redeem(
                make_session(100_000 + index),
                stats,
                code=seeded["codes"][index],
                token=seeded["tokens"][index % len(seeded["tokens"])],
                key=f"cleanup-{index}",
            )
        except Exception as error:  # noqa: BLE001
            stats.error("exception", f"voucher {index}: {error!r}")

    def verifier(number: int) -> None:
        try:
            verifier_loop(
                make_session(200_000 + number),
                stats,
                number=number,
                totp_secret=seeded["totp"][number],
                residents_done=lambda: pending["residents"] == 0,
                deadline=deadline,
            )
        except Exception as error:  # noqa: BLE001
            stats.error("exception", f"verifier {number}: {error!r}")

    if not concurrent:
        for index in range(plan.residents):
            resident(index)
        for index in range(plan.vouchers):
            voucher(index)
        for number in range(VERIFIERS):
            verifier(number)
        return stats
    staff = [threading.Thread(target=verifier, args=(n,)) for n in range(VERIFIERS)]
    for thread in staff:
        thread.start()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        # Interleave residents and voucher redemptions by start time, so both run all through the day.
        jobs = [(seconds * i / max(1, plan.residents), 0, i) for i in range(plan.residents)]
        jobs += [(seconds * i / max(1, plan.vouchers), 1, i) for i in range(plan.vouchers)]
        for _, kind, index in sorted(jobs):
            pool.submit(resident if kind == 0 else voucher, index)
    for thread in staff:
        thread.join()
    return stats


def check_outcome(*, plan: Plan, stats: Stats) -> dict:
    """Checks the database after the day: claims per task, proofs all decided, vouchers redeemed, the audit."""
    from django.db.models import Count

    from tasks.models import Claim, Task
    from verification.models import Decision, Proof
    from vouchers.models import Voucher
    from wallet.audit import run_audit

    problems = []
    expected_refused = plan.expected_refused()
    if stats.refused != expected_refused:
        problems.append(f"refused claims {stats.refused}, expected {expected_refused}")
    claims = dict(Task.objects.annotate(n=Count("claims")).values_list("title", "n"))
    over = [t for t, n in claims.items() if n > (Task.objects.get(title=t).slots)]
    if over:
        problems.append(f"tasks with more claims than slots: {over}")
    won = Claim.objects.count()
    if won != plan.residents - expected_refused:
        problems.append(f"{won} claims won, expected {plan.residents - expected_refused}")
    proofs = Proof.objects.count()
    open_proofs = Proof.objects.exclude(status__in=["approved", "rejected"]).count()
    if proofs != won:
        problems.append(f"{proofs} proofs for {won} claims")
    if open_proofs:
        problems.append(f"{open_proofs} proofs still undecided")
    auto = Decision.objects.filter(how=Decision.How.AUTO).count()
    human = Decision.objects.filter(how=Decision.How.HUMAN).count()
    redeemed = Voucher.objects.filter(status=Voucher.Status.REDEEMED).count()
    if redeemed != plan.vouchers:
        problems.append(f"{redeemed} vouchers redeemed, expected {plan.vouchers}")
    violations = [str(v) for v in run_audit()]
    return {
        "problems": problems,
        "proofs": proofs,
        "auto": auto,
        "human": human,
        "redeemed": redeemed,
        "violations": violations,
        "approved": Proof.objects.filter(status="approved").count(),
        "rejected": Proof.objects.filter(status="rejected").count(),
    }


# --- the production layout --------------------------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def server_environment(media: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"{PG}/{DATABASE}",
            "REDIS_URL": REDIS,
            "CACHE_KEY_PREFIX": f"bench-cleanup-{secrets.token_hex(4)}",
            "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
            "MEDIA_ROOT": media,
            "STATIC_ROOT": str(Path(media) / "static"),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def start_gunicorn(env: dict) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "eraha.wsgi",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    # The server's output (the console e-mail backend prints every notification) goes to a log file.
    server_log = open(Path(env["MEDIA_ROOT"]) / "gunicorn.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=server_log, stderr=subprocess.STDOUT
    )
    server_log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if HttpSession(port=PORT, address="10.0.0.1").request("GET", "/healthz").status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def client_address(index: int) -> str:
    """A distinct, valid private address per simulated phone (10.0.0.1, 10.0.0.2, ...)."""
    return str(ipaddress.IPv4Address(0x0A000001 + index))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="2,000 residents over 10 minutes")
    parser.add_argument("--residents", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--threads", type=int, default=24)
    args = parser.parse_args()
    residents = args.residents or (2000 if args.full else 150)
    seconds = args.seconds or (600 if args.full else 60)
    plan = Plan(residents=residents)
    log(
        f"cleanup_day: {residents} residents over {seconds:.0f} s, {plan.tasks} tasks, {VERIFIERS} verifiers, "
        f"{plan.vouchers} vouchers; gunicorn 2 sync workers, PostgreSQL {DATABASE}, Redis {REDIS}"
    )
    media = tempfile.mkdtemp(prefix="eraha-bench-cleanup-")
    os.environ.update({"DATABASE_URL": f"{PG}/{DATABASE}", "DJANGO_SETTINGS_MODULE": "eraha.settings"})
    os.environ.pop("REDIS_URL", None)
    os.environ["MEDIA_ROOT"] = media
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    seeded = seed(plan)
    log(f"seeded in {time.perf_counter() - began:.1f} s; expected refused claims: {plan.expected_refused()}")
    began = time.perf_counter()
    prepare_photos(residents, (800, 600))
    log(f"generated {residents} photos (800x600 JPEG) in {time.perf_counter() - began:.1f} s")
    connections.close_all()
    env = server_environment(media)
    # The production layout serves hashed static files from STATIC_ROOT, as the Dockerfile prepares them.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    server = start_gunicorn(env)
    try:
        began = time.perf_counter()
        stats = run_day(
            plan=plan,
            seeded=seeded,
            make_session=lambda index: HttpSession(port=PORT, address=client_address(index)),
            seconds=seconds,
            threads=args.threads,
        )
        wall = time.perf_counter() - began
    finally:
        stop(server)
    log(f"the day took {wall:.0f} s of wall-clock time")
    for line in stats.report():
        log(line)
    outcome = check_outcome(plan=plan, stats=stats)
    decided = outcome["auto"] + outcome["human"]
    log(
        f"claims won {stats.claimed}, refused on full tasks {stats.refused} (expected {plan.expected_refused()}); "
        f"proofs {outcome['proofs']}: approved {outcome['approved']}, rejected {outcome['rejected']}"
    )
    log(
        f"decided automatically: {outcome['auto']} of {decided} "
        f"({100 * outcome['auto'] / max(1, decided):.0f} %); by the 3 verifiers: {outcome['human']}"
    )
    log(f"vouchers redeemed through the API: {outcome['redeemed']} of {plan.vouchers}")
    for sample in stats.samples:
        log(f"error sample: {sample}")
    for problem in outcome["problems"]:
        log(f"problem: {problem}")
    audit = subprocess.run(
        [sys.executable, "manage.py", "ledger_audit"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"{PG}/{DATABASE}"},
        capture_output=True,
        text=True,
    )
    log(f"manage.py ledger_audit: exit {audit.returncode}: {(audit.stdout + audit.stderr).strip()[-500:]}")
    errors = stats.error_count + len(outcome["problems"]) + (1 if audit.returncode else 0)
    log(f"RESULT cleanup_day errors={errors} goal=0 ok={'yes' if errors == 0 else 'no'}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
