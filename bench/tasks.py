"""Tasks benchmark: the task list page against /healthz, served in the production layout, plus claims/s.

One command: `.venv/bin/python bench/tasks.py`. It creates (once; later runs reuse it) the PostgreSQL
database eraha_bench_tasks with 100,000 tasks and 10,000 residents, starts gunicorn with 2 sync workers on
127.0.0.1:8121, and loads with wrk (16 connections, 2 threads, BENCH_SECONDS each):
- GET /tasks/?category=litter&min_reward=5 as a signed-in resident (first page with filters),
- GET /healthz (the baseline: the same stack without the database),
printing requests/s and p95 for both and their ratio. Then 200 signed-in claimants POST a claim each,
all at once, spread over 20 tasks of 5 slots, and it prints claims/s and checks exactly 100 won.
It ends with `RESULT tasks list_vs_healthz=<x> goal=0.3 ok=<yes|no>` (ok also needs p95 < 100 ms).

Environment: BENCH_SECONDS (default 10), BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_WORKER_CLASS
(sync; gthread with BENCH_THREADS to compare),
BENCH_PORT (default 8121), BENCH_RESET=1 to rebuild the data.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "eraha_bench_tasks"
PORT = int(os.environ.get("BENCH_PORT", "8121"))
TASKS = 100_000
RESIDENTS = 10_000
CLAIMANTS = 200
CLAIM_TASKS = 20
CLAIM_SLOTS = 5
GOAL = 0.3
# The production layout: 2 sync workers. BENCH_WORKER_CLASS=gthread (BENCH_THREADS=4) compares.
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", "4")) if WORKER_CLASS == "gthread" else 1
P95_GOAL_MS = 100.0
LIST_PATH = "/tasks/?category=litter&min_reward=5"
CSRF = "benchcsrfbenchcsrfbenchcsrf12345"  # a 32-character CSRF secret, sent as cookie and header

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P95_US %d\\n", latency:percentile(95)))
  io.write(string.format("NON2XX %d\\n", summary.errors.status))
end
"""


def log(line: str) -> None:
    print(line, flush=True)


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists and os.environ.get("BENCH_RESET") == "1":
            conn.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eraha.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_data() -> None:
    """100,000 open tasks (80 % city, 20 % neighbours') around Imatra and 10,000 residents. Once."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from people.models import User
    from people.services import upsert_department
    from tasks.models import Category, Task

    if Task.objects.count() >= TASKS and User.objects.count() >= RESIDENTS:
        log(f"data: reusing {Task.objects.count()} tasks and {User.objects.count()} users")
        return
    started = time.perf_counter()
    Task.objects.all().delete()
    password = make_password("bench-password")
    existing = set(User.objects.values_list("email", flat=True))
    User.objects.bulk_create(
        [
            User(email=f"resident{i}@bench.example", password=password, display_name=f"Resident {i}")
            for i in range(RESIDENTS)
            if f"resident{i}@bench.example" not in existing
        ],
        batch_size=2000,
    )
    departments = [
        upsert_department(slug=slug, name_fi=slug, name_sv=slug, name_en=slug)
        for slug in ("parks", "youth", "sports", "library")
    ]
    staff = User.objects.get_or_create(email="publisher@bench.example", defaults={"password": password})[0]
    categories = {c.slug: c for c in Category.objects.all()}
    city_categories = [categories[s] for s in ("litter", "park-care", "nature", "library", "events")]
    peer_categories = [categories[s] for s in ("neighbour-help", "digital-help", "litter")]
    residents = list(User.objects.filter(email__endswith="@bench.example").values_list("pk", flat=True))
    rng = random.Random(42)
    now = timezone.now()
    batch = []
    for i in range(TASKS):
        city = i % 5 != 0
        category = rng.choice(city_categories if city else peer_categories)
        poster = rng.choice(residents)
        batch.append(
            Task(
                kind="city" if city else "peer",
                department=rng.choice(departments) if city else None,
                poster_id=None if city else poster,
                created_by_id=staff.pk if city else poster,
                category=category,
                title=f"{category.name_fi} {i}",
                description="Benchmark task: kerää roskat ja ota kuvat.",
                address=f"Koskenparras {i % 200}",
                latitude=Decimal("61.17") + Decimal(rng.randint(0, 60000)) / Decimal(1_000_000),
                longitude=Decimal("28.74") + Decimal(rng.randint(0, 90000)) / Decimal(1_000_000),
                reward_cents=rng.choice([300, 500, 800, 1000, 1500]),
                slots=rng.choice([1, 2, 3, 5]),
                slots_left=1,
                deadline=now + timedelta(days=rng.randint(30, 365)),
                status="open",
                published_at=now - timedelta(minutes=i),
            )
        )
        if len(batch) == 5000:
            Task.objects.bulk_create(batch)
            batch = []
    if batch:
        Task.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"data: built {TASKS} tasks and {RESIDENTS} residents in {time.perf_counter() - started:.0f} s")


def session_for(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def start_server(var_dir: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"{PG}/{DATABASE}",
            "DB_CONN_MAX_AGE": "600",
            "DJANGO_DEBUG": "0",
            "ERAHA_VAR_DIR": var_dir,
            "LOG_LEVEL": "WARNING",
        }
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "eraha.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            WORKER_CLASS,
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    server.wait(timeout=20)


def wrk(path: str, cookie: str | None, script: str) -> tuple[float, float, int]:
    """(requests/s, p95 ms, non-2xx count) for 16 connections over SECONDS."""
    command = ["wrk", "-t2", "-c16", f"-d{SECONDS}s", "--timeout", "5s", "-s", script]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{PORT}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p95 = int(re.search(r"P95_US (\d+)", output).group(1)) / 1000
    non2xx = int(re.search(r"NON2XX (\d+)", output).group(1))
    return rate, p95, non2xx


def check_page(cookie: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request("GET", LIST_PATH, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read().decode()
    if response.status != 200 or "task-card" not in body or "Resident" not in body:
        raise SystemExit(f"the list page did not render for a signed-in resident (status {response.status})")


def claims_benchmark() -> tuple[float, int]:
    """200 signed-in claimants POST one claim each at the same moment; returns (claims/s, claims won)."""
    from django.utils import timezone

    from people.models import Department, User
    from tasks.models import Category, Claim, Task

    now = timezone.now()
    Claim.objects.filter(task__title__startswith="Claim race").delete()
    Task.objects.filter(title__startswith="Claim race").delete()
    department = Department.objects.first()
    staff = User.objects.get(email="publisher@bench.example")
    litter = Category.objects.get(slug="litter")
    tasks = Task.objects.bulk_create(
        [
            Task(
                kind="city",
                department=department,
                created_by=staff,
                category=litter,
                title=f"Claim race {i}",
                description="Claim race",
                reward_cents=500,
                slots=CLAIM_SLOTS,
                slots_left=CLAIM_SLOTS,
                deadline=now + timedelta(days=7),
                status="open",
                published_at=now,
            )
            for i in range(CLAIM_TASKS)
        ]
    )
    claimants = list(User.objects.filter(email__endswith="@bench.example").order_by("pk")[:CLAIMANTS])
    Claim.objects.filter(resident__in=claimants).delete()
    cookies = [f"sessionid={session_for(user)}; csrftoken={CSRF}" for user in claimants]
    barrier = threading.Barrier(CLAIMANTS + 1)
    statuses: list[int] = [0] * CLAIMANTS

    def claimant(index: int) -> None:
        task = tasks[index % CLAIM_TASKS]
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        barrier.wait()
        conn.request(
            "POST",
            f"/tasks/{task.pk}/claim/",
            body="",
            headers={
                "Cookie": cookies[index],
                "X-CSRFToken": CSRF,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        statuses[index] = conn.getresponse().status

    threads = [threading.Thread(target=claimant, args=(i,)) for i in range(CLAIMANTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    won = Claim.objects.filter(task__in=tasks).count()
    if any(status != 302 for status in statuses):
        log(f"claims: unexpected statuses {sorted(set(statuses))}")
    over = [t.pk for t in tasks if Claim.objects.filter(task=t).count() > CLAIM_SLOTS]
    if over:
        raise SystemExit(f"claims: tasks over their slots: {over}")
    return CLAIMANTS / elapsed, won


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt install wrk)")
    ensure_database()
    setup_django()
    build_data()
    from people.models import User

    resident = User.objects.get(email="resident1@bench.example")
    cookie = f"sessionid={session_for(resident)}"
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "p95.lua")
        Path(script).write_text(WRK_SCRIPT)
        server = start_server(tmp)
        try:
            check_page(cookie)
            wrk("/healthz", None, script)  # warm up both workers
            wrk(LIST_PATH, cookie, script)
            health_rate, health_p95, health_bad = wrk("/healthz", None, script)
            list_rate, list_p95, list_bad = wrk(LIST_PATH, cookie, script)
            claims_rate, won = claims_benchmark()
        finally:
            stop_server(server)
    ratio = list_rate / health_rate if health_rate else 0.0
    log(f"/healthz        {health_rate:8.1f} req/s  p95 {health_p95:6.1f} ms  non-2xx {health_bad}")
    log(f"{LIST_PATH}  {list_rate:8.1f} req/s  p95 {list_p95:6.1f} ms  non-2xx {list_bad}")
    log(f"ratio list/healthz {ratio:.2f} (goal {GOAL}); list p95 {list_p95:.1f} ms (goal < {P95_GOAL_MS:.0f} ms)")
    log(
        f"claims: {CLAIMANTS} concurrent claimants on {CLAIM_TASKS} tasks x {CLAIM_SLOTS} slots: "
        f"{claims_rate:.1f} claims/s, {won} won (expected {CLAIM_TASKS * CLAIM_SLOTS})"
    )
    ok = ratio >= GOAL and list_p95 < P95_GOAL_MS and list_bad == 0 and won == CLAIM_TASKS * CLAIM_SLOTS
    log(f"RESULT tasks list_vs_healthz={ratio:.2f} goal={GOAL} ok={'yes' if ok else 'no'}")


if __name__ == "__main__":
    main()
