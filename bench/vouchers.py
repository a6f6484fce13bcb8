"""Voucher redemption benchmark: the partner API under gunicorn against /healthz in the same run.

One command: `.venv/bin/python bench/vouchers.py`. It (re)creates the PostgreSQL database
eraha_bench_vouchers, migrates it, sells BENCH_VOUCHERS (default 5,000) distinct vouchers through
vouchers.services.buy_voucher, makes one API token per client (one per desk), and starts gunicorn with 2
sync workers in the production settings (DJANGO_ENV=production, Redis cache db 3 for the rate limits).
Then, from BENCH_CLIENTS (default 16) concurrent clients on 127.0.0.1:
- GET /healthz the same number of times (the baseline: the cheapest request the stack can answer);
- POST /api/v1/vouchers/redeem once per voucher, each with its own Idempotency-Key;
in 10 interleaved rounds (healthz, redeem, healthz, ...) so that both see the same background load.
It prints requests/s and p50/p95 latency of both, the ratio redemptions/s ÷ healthz/s, checks that every
redemption answered 200, that exactly BENCH_VOUCHERS vouchers are redeemed with as much partner payable,
and that the ledger audit is clean. It ends with
`RESULT vouchers redeem_vs_healthz=<x> goal=0.1 ok=<yes|no>`.

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_REDIS (default
redis://127.0.0.1:6379/3), BENCH_PORT (default 8130), BENCH_VOUCHERS, BENCH_CLIENTS.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
DATABASE = "eraha_bench_vouchers"
DATABASE_URL = f"{PG}/{DATABASE}"
PORT = int(os.environ.get("BENCH_PORT", "8130"))
VOUCHERS = int(os.environ.get("BENCH_VOUCHERS", "5000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS = 2
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
GOAL = 0.1
PRICE = 100
PER_RESIDENT = 1000
ROUNDS = 10


def log(line: str) -> None:
    print(line, flush=True)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "eraha.settings"
    import django

    django.setup()


def seed() -> tuple[list[str], list[str]]:
    """Sells the vouchers and makes one token per client; returns (codes, raw tokens)."""
    from django.core.management import call_command
    from django.utils import timezone

    from people.models import User
    from vouchers import services
    from vouchers.models import Partner, Product
    from wallet.services import credit_card_top_up

    call_command("migrate", verbosity=0)
    partner = Partner.objects.create(slug="bench-hall", name="Bench swimming hall")
    product = Product.objects.create(
        partner=partner, name_fi="Uinti", name_sv="Simtur", name_en="Swim", price=PRICE, face_value=120
    )
    now = timezone.now()
    codes = []
    started = time.perf_counter()
    for index in range(VOUCHERS):
        if index % PER_RESIDENT == 0:
            resident = User.objects.create_user(email=f"bench{index}@example.fi", password=None)
            credit_card_top_up(resident=resident, amount=PRICE * PER_RESIDENT, idempotency_key=f"bench:{index}")
        voucher = services.buy_voucher(resident=resident, product=product, idempotency_key=f"b{index}", now=now)
        codes.append(voucher.code)
    log(f"sold {len(codes)} vouchers in {time.perf_counter() - started:.1f} s")
    tokens = [services.create_partner_token(partner=partner, name=f"Desk {i}")[1] for i in range(CLIENTS)]
    return codes, tokens


def start_gunicorn() -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS,
            "CACHE_KEY_PREFIX": f"bench-vouchers-{secrets.token_hex(4)}",
            # The bench drives each token far past a desk's pace; the limit is not what is measured.
            "VOUCHER_TOKEN_LOOKUPS_PER_MINUTE": "1000000",
            "LOG_LEVEL": "WARNING",
        }
    )
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "eraha.wsgi",
        "--workers",
        str(WORKERS),
        "--worker-class",
        WORKER_CLASS,
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{PORT}",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = request("GET", "/healthz")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def request(method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    # A new connection per request: gunicorn's sync workers close it after each answer anyway.
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_phase(count: int, make_request, offset: int = 0) -> tuple[float, list[float], dict[int, int]]:
    """Requests offset..offset+count-1 from CLIENTS threads, each taking the next index.

    Returns the wall-clock seconds, the latencies and the count of each status."""
    lock = threading.Lock()
    next_index = iter(range(offset, offset + count))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def client(number: int) -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            began = time.perf_counter()
            status, _ = make_request(number, index)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


class Measurement:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seconds = 0.0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    def add(self, seconds: float, latencies: list[float], statuses: dict[int, int]) -> None:
        self.seconds += seconds
        self.latencies.extend(latencies)
        for status, count in statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, int(len(ordered) * share) - 1)] * 1000

    def report(self) -> None:
        log(
            f"{self.name:<8} {len(self.latencies)} requests in {self.seconds:5.1f} s: {self.rate:7.1f} req/s, "
            f"p50 {self.percentile(0.5):6.1f} ms, p95 {self.percentile(0.95):6.1f} ms, statuses {self.statuses}"
        )


def main() -> int:
    log(f"vouchers bench: {VOUCHERS} vouchers, {CLIENTS} clients, gunicorn {WORKERS} sync workers, PostgreSQL")
    recreate_database()
    setup_django()
    codes, tokens = seed()
    from django.db import connections

    connections.close_all()

    def healthz(number: int, index: int):
        return request("GET", "/healthz")

    def lookup(number: int, index: int):
        return request("GET", f"/api/v1/vouchers/{codes[index]}", headers={"Authorization": f"Bearer {tokens[number]}"})

    def redeem(number: int, index: int):
        body = json.dumps({"code": codes[index]}).encode()
        headers = {
            "Authorization": f"Bearer {tokens[number]}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{index}",
        }
        return request("POST", "/api/v1/vouchers/redeem", body, headers)

    health, redeemed = Measurement("healthz"), Measurement("redeem")
    server = start_gunicorn()
    try:
        run_phase(200, healthz)
        run_phase(200, lookup)
        # Interleaved rounds, so both see the same background load on a shared machine.
        chunk = VOUCHERS // ROUNDS
        for round_number in range(ROUNDS):
            count = chunk if round_number < ROUNDS - 1 else VOUCHERS - chunk * (ROUNDS - 1)
            health.add(*run_phase(count, healthz))
            redeemed.add(*run_phase(count, redeem, offset=chunk * round_number))
    finally:
        stop(server)
    health.report()
    redeemed.report()

    from django.db.models import Sum

    from vouchers.models import Voucher
    from wallet.audit import run_audit
    from wallet.models import Account, AccountKind

    count = Voucher.objects.filter(status=Voucher.Status.REDEEMED).count()
    payable = Account.objects.filter(kind=AccountKind.PARTNER_PAYABLE).aggregate(
        total=Sum("credits_posted") - Sum("debits_posted")
    )["total"]
    violations = run_audit()
    all_200 = redeemed.statuses == {200: VOUCHERS}
    ratio = redeemed.rate / health.rate
    log(f"redemptions: {count} (expected {VOUCHERS}), partner payable {payable} cents (expected {VOUCHERS * PRICE})")
    log(f"ledger audit: {'clean' if not violations else 'VIOLATIONS'}")
    for violation in violations:
        log(str(violation))
    log(
        f"redemptions/s {redeemed.rate:.1f}, p95 {redeemed.percentile(0.95):.1f} ms; "
        f"/healthz {health.rate:.1f}/s, p95 {health.percentile(0.95):.1f} ms; ratio {ratio:.3f}"
    )
    correct = all_200 and count == VOUCHERS and payable == VOUCHERS * PRICE and not violations
    ok = correct and ratio >= GOAL
    log(f"RESULT vouchers redeem_vs_healthz={ratio:.3f} goal={GOAL} ok={'yes' if ok else 'no'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
