"""Live updates benchmark: time from an approval's commit to the resident's browser socket receiving it.

Starts uvicorn (one worker, the production ASGI server for websockets) with the Redis channel layer (db 6),
opens 1,000 authenticated resident websockets, commits 1,000 approval notices one after another (one per
resident, each in its own transaction, as verification.approve_proof will), and measures commit → receipt
p50/p95/p99. Baseline in the same run on the same server: a bare Channels echo round trip.

    .venv/bin/python bench/live.py            # BENCH_CONNECTIONS=200 for a quick run

Needs PostgreSQL on 127.0.0.1:5432 (database eraha_bench_live, created if missing) and Redis on :6379.
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "1000"))
ECHOES = 1000
PORT = int(os.environ.get("BENCH_PORT", "8160"))
DATABASE = "eraha_bench_live"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
GOAL_P95_MS = 100
ORIGIN = f"http://127.0.0.1:{PORT}"
NOTICE_ID = re.compile(r'id="notice-(\d+)"')

os.environ.update(
    DJANGO_SETTINGS_MODULE="eraha.settings",
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    LOG_LEVEL="ERROR",
    DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
)


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))


def create_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def prepare_residents(count: int) -> list[tuple[object, str]]:
    """`count` residents with a signed-in session each: (user, session key)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from notifications.models import Notification
    from people.models import User

    call_command("migrate", verbosity=0)
    Notification.objects.filter(recipient__email__startswith="bench-live-").delete()
    emails = [f"bench-live-{n}@example.fi" for n in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    new = []
    for n, email in enumerate(emails):
        if email not in existing:
            user = User(email=email, display_name=f"Asukas {n}", handle=f"bench-live-{n}", preferred_language="fi")
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new)
    residents = []
    for user in User.objects.filter(email__in=emails).order_by("pk"):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        residents.append((user, session.session_key))
    return residents


def flush_redis_db() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_server() -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "bench.live_asgi:application", "--app-dir", str(ROOT),
            "--host", "127.0.0.1", "--port", str(PORT), "--log-level", "warning", "--no-access-log",
            "--ws", "websockets-sansio", "--lifespan", "off",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{ORIGIN}/healthz", timeout=1):
                return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("uvicorn did not start") from None
            time.sleep(0.2)


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


async def open_sockets(residents, received: dict[int, float], opened: asyncio.Event) -> list:
    from websockets.asyncio.client import connect

    limit = asyncio.Semaphore(50)
    sockets = []

    async def reader(ws):
        async for message in ws:
            now = time.perf_counter()
            match = NOTICE_ID.search(message)
            if match:
                received.setdefault(int(match.group(1)), now)

    async def open_one(session_key: str):
        async with limit:
            ws = await connect(
                f"ws://127.0.0.1:{PORT}/ws/resident/",
                origin=ORIGIN,
                additional_headers={"Cookie": f"sessionid={session_key}"},
                compression=None,
                open_timeout=30,
                ping_interval=None,
            )
            sockets.append(ws)
            asyncio.get_running_loop().create_task(reader(ws))

    await asyncio.gather(*(open_one(key) for _, key in residents))
    opened.set()
    return sockets


async def echo_round_trips(count: int) -> list[float]:
    from websockets.asyncio.client import connect

    samples = []
    async with connect(f"ws://127.0.0.1:{PORT}/ws/echo/", origin=ORIGIN, compression=None) as ws:
        for n in range(20):  # warm-up
            await ws.send(f"warm {n}")
            await ws.recv()
        for n in range(count):
            started = time.perf_counter()
            await ws.send(f"ping {n}")
            await ws.recv()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def commit_approvals(residents, committed: dict[int, float]) -> None:
    """One approval notice per resident, each in its own transaction; notes the moment each one commits."""
    from django.db import connection, transaction

    from notifications.kinds import Kind
    from notifications.services import notify

    try:
        for n, (user, _) in enumerate(residents):
            with transaction.atomic():
                marker = {}
                # Registered before notify()'s own callbacks, so it runs first: the moment of commit.
                transaction.on_commit(lambda marker=marker: marker.setdefault("at", time.perf_counter()))
                notice = notify(
                    recipient=user,
                    kind=Kind.PROOF_APPROVED,
                    params={"task": f"Roskien keruu {n}", "amount": 500, "balance": 500 + n},
                    link="/wallet/",
                    email=False,
                )
            committed[notice.pk] = marker["at"]
    finally:
        connection.close()


async def run(residents) -> tuple[list[float], list[float], int]:
    received: dict[int, float] = {}
    committed: dict[int, float] = {}
    opened = asyncio.Event()
    started = time.perf_counter()
    sockets = await open_sockets(residents, received, opened)
    print(f"opened {len(sockets)} resident websockets in {time.perf_counter() - started:.1f} s")

    echo = await echo_round_trips(ECHOES)

    worker = threading.Thread(target=commit_approvals, args=(residents, committed))
    started = time.perf_counter()
    worker.start()
    while worker.is_alive():
        await asyncio.sleep(0.05)
    commit_seconds = time.perf_counter() - started
    deadline = time.perf_counter() + 10
    while len(received.keys() & committed.keys()) < len(committed) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    print(f"committed {len(committed)} approvals in {commit_seconds:.1f} s ({len(committed) / commit_seconds:.0f}/s)")
    latencies = [(received[pk] - at) * 1000 for pk, at in committed.items() if pk in received]
    missing = len(committed) - len(latencies)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return echo, latencies, missing


def main() -> int:
    raise_open_files_limit(CONNECTIONS * 2 + 256)
    create_database()
    import django

    django.setup()
    flush_redis_db()
    residents = prepare_residents(CONNECTIONS)
    server = start_server()
    try:
        echo, latencies, missing = asyncio.run(run(residents))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    e50, e95, e99 = percentiles(echo)
    print(
        f"baseline: bare Channels echo round trip, {len(echo)} samples: "
        f"p50 {e50:.2f} ms, p95 {e95:.2f} ms, p99 {e99:.2f} ms"
    )
    if not latencies:
        print("no notice arrived")
        print(f"RESULT live p95_ms=inf goal={GOAL_P95_MS} ok=no")
        return 1
    p50, p95, p99 = percentiles(latencies)
    print(
        f"commit → receipt with {CONNECTIONS} sockets open, {len(latencies)} received, {missing} missing: "
        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, max {max(latencies):.2f} ms"
    )
    print(f"ratio (p95 commit→receipt / p95 echo): {p95 / e95:.1f}x; p50 ratio {p50 / e50:.1f}x")
    ok = p95 < GOAL_P95_MS and missing == 0 and CONNECTIONS >= 1000
    print(f"RESULT live p95_ms={p95:.1f} goal={GOAL_P95_MS} ok={'yes' if ok else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
