"""Ledger benchmark: wallet.ledger.post_transaction against pgbench on the same PostgreSQL database.

One command: `.venv/bin/python bench/ledger.py`. It (re)creates the database eraha_bench_ledger, migrates
it, funds 10,000 wallets, then measures for a fixed time each:
- pgbench -b tpcb-like (the headline baseline) and a custom pgbench script running the same SQL one
  transfer performs (the database ceiling), with 1, 4 and 8 clients;
- post_transaction from 1, 4 and 8 worker processes, over 10,000 wallets (uniform) and 10 wallets (hot);
then runs the ledger audit and one SQLite single-process figure. It ends with
`RESULT ledger ratio_tpcb_8w_uniform=<x> goal=0.8 ok=<yes|no>`.

The headline pair (tpcb-like and post_transaction, 8 workers, uniform) is measured BENCH_ROUNDS times
(default 3), alternating, because the machine is shared. Environment: BENCH_SECONDS (default 8) per
phase, BENCH_PG (default postgres://postgres@127.0.0.1:5432), PGBENCH (default pgbench).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "eraha_bench_ledger"
PGBENCH = os.environ.get("PGBENCH", "pgbench")
WALLETS = 10_000
HOT = 10
WORKERS = (1, 4, 8)
GOAL = 0.8
HEADLINE_ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
START_BALANCE = 10_000_00


def log(line: str) -> None:
    print(line, flush=True)


def setup_django(database_url: str | None, var_dir: str | None = None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    if var_dir:
        os.environ["ERAHA_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eraha.settings")
    os.environ["DB_CONN_MAX_AGE"] = "0"
    import django

    django.setup()


def wallet_owner(index: int) -> str:
    return f"bench:{index}"


def fund_wallets(count: int, batch: int) -> None:
    """Gives every bench wallet its starting balance, in postings of `batch` wallets from city issuance."""
    from wallet.ledger import CITY_ISSUANCE, AccountRef, Leg, post_transaction
    from wallet.models import AccountKind

    for start in range(1, count + 1, batch):
        owners = range(start, min(start + batch, count + 1))
        legs = [Leg(AccountRef(AccountKind.WALLET.value, wallet_owner(i)), START_BALANCE) for i in owners]
        legs.append(Leg(CITY_ISSUANCE, -START_BALANCE * len(legs)))
        post_transaction(code="transfer", legs=legs, idempotency_key=f"bench:fund:{start}")


def transfer_loop(wallets: int, seconds: float, start_at: float) -> list[float]:
    """Posts 1-cent transfers between random distinct wallets until the time is up; returns latencies."""
    from wallet.ledger import AccountRef, Leg, post_transaction

    rng = random.Random()  # noqa: S311 - benchmark traffic, not security
    refs = [AccountRef("wallet", wallet_owner(i)) for i in range(1, wallets + 1)]
    latencies = []
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    prefix = uuid.uuid4().hex[:12]
    number = 0
    now = time.perf_counter
    while time.time() < deadline:
        a, b = rng.sample(range(wallets), 2)
        number += 1
        began = now()
        post_transaction(
            code="transfer",
            legs=[Leg(refs[a], -1), Leg(refs[b], 1)],
            idempotency_key=f"bench:{prefix}:{number}",
        )
        latencies.append(now() - began)
    return latencies


def _worker(wallets: int, seconds: float, start_at: float, queue) -> None:
    from django.db import connections

    connections.close_all()
    try:
        queue.put(transfer_loop(wallets, seconds, start_at))
    except BaseException as exc:
        queue.put(exc)
    finally:
        connections.close_all()


def run_workers(workers: int, wallets: int) -> dict:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + 1.0
    processes = [context.Process(target=_worker, args=(wallets, SECONDS, start_at, queue)) for _ in range(workers)]
    for process in processes:
        process.start()
    latencies: list[float] = []
    for _ in processes:
        result = queue.get(timeout=SECONDS + 120)
        if isinstance(result, BaseException):
            raise result
        latencies.extend(result)
    for process in processes:
        process.join()
    return summarize(len(latencies), latencies)


def summarize(count: int, latencies: list[float]) -> dict:
    latencies.sort()
    if not latencies:
        return {"tps": 0.0, "p50": 0.0, "p99": 0.0}
    return {
        "tps": count / SECONDS,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def psql(database: str, sql: str) -> None:
    subprocess.run(["psql", f"{PG}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)


def pgbench(args: list[str], clients: int) -> dict:
    command = [
        PGBENCH,
        "-n",
        "-c",
        str(clients),
        "-j",
        str(clients),
        "-T",
        str(int(SECONDS)),
        *args,
        f"{PG}/{DATABASE}",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return {"tps": tps, "avg": float(latency.group(1)) if latency else 0.0}


CUSTOM_SCRIPT = f"""\\set a random(1, {WALLETS})
\\set d random(1, {WALLETS - 1})
\\set b 1 + (:a - 1 + :d) % {WALLETS}
SELECT * FROM wallet_post(gen_random_uuid()::text, 'pgbench', 'transfer', '', NULL, NULL, now(), \
ARRAY['wallet', 'wallet'], ARRAY['bench:' || :a, 'bench:' || :b], ARRAY[-1, 1]::bigint[]);
"""


def sqlite_figure() -> float:
    """Single-process transfers/s on SQLite (the embedded default), measured in a child interpreter."""
    with tempfile.TemporaryDirectory() as var_dir:
        output = subprocess.run(
            [sys.executable, __file__, "--sqlite-child", var_dir], check=True, capture_output=True, text=True
        ).stdout
    return float(re.search(r"SQLITE_TPS=([\d.]+)", output).group(1))


def sqlite_child(var_dir: str) -> None:
    setup_django(None, var_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fund_wallets(WALLETS, 500)
    latencies = transfer_loop(WALLETS, min(SECONDS, 5.0), time.time())
    print(f"SQLITE_TPS={len(latencies) / min(SECONDS, 5.0):.1f}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--sqlite-child":
        sqlite_child(sys.argv[2])
        return
    if shutil.which(PGBENCH) is None:
        sys.exit("pgbench not found (apt-get install postgresql-client).")
    log(f"eRaha ledger benchmark: {SECONDS:.0f} s per phase, PostgreSQL database {DATABASE}")
    psql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {DATABASE}")
    setup_django(f"{PG}/{DATABASE}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fund_wallets(WALLETS, 500)
    subprocess.run([PGBENCH, "-i", "-q", "-s", "10", f"{PG}/{DATABASE}"], check=True, capture_output=True)
    psql(DATABASE, "VACUUM ANALYZE")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(CUSTOM_SCRIPT)

    tpcb, custom, ours_uniform, ours_hot = {}, {}, {}, {}
    for workers in WORKERS:
        tpcb[workers] = pgbench(["-b", "tpcb-like"], workers)
        custom[workers] = pgbench(["-f", script.name], workers)
        ours_uniform[workers] = run_workers(workers, WALLETS)
        ours_hot[workers] = run_workers(workers, HOT)
        log(
            f"{workers} worker(s): pgbench tpcb-like {tpcb[workers]['tps']:.0f} tps "
            f"(avg {tpcb[workers]['avg']:.2f} ms) | pgbench transfer SQL {custom[workers]['tps']:.0f} tps "
            f"(avg {custom[workers]['avg']:.2f} ms)"
        )
        for label, result in (("uniform 10,000", ours_uniform[workers]), ("hot 10", ours_hot[workers])):
            log(
                f"  post_transaction {label:<14}: {result['tps']:8.0f} transfers/s  p50 {result['p50']:.2f} ms  "
                f"p99 {result['p99']:.2f} ms  ratio tpcb-like {result['tps'] / tpcb[workers]['tps']:.2f}  "
                f"ratio transfer-SQL {result['tps'] / custom[workers]['tps']:.2f}"
            )
    os.unlink(script.name)

    # The headline pair again, alternating, so a burst of load from elsewhere on the machine hits both
    # sides alike; the ratio is taken over all rounds.
    tpcb_total, ours_total = tpcb[8]["tps"], ours_uniform[8]["tps"]
    for _round in range(HEADLINE_ROUNDS - 1):
        tpcb_total += pgbench(["-b", "tpcb-like"], 8)["tps"]
        ours_total += run_workers(8, WALLETS)["tps"]
    log(
        f"headline over {HEADLINE_ROUNDS} alternating rounds: "
        f"pgbench tpcb-like {tpcb_total / HEADLINE_ROUNDS:.0f} tps, "
        f"post_transaction 8 workers uniform {ours_total / HEADLINE_ROUNDS:.0f} transfers/s"
    )

    began = time.perf_counter()
    from wallet.audit import run_audit

    violations = run_audit()
    log(f"ledger_audit: {len(violations)} violation(s) in {time.perf_counter() - began:.1f} s")
    for violation in violations:
        log(str(violation))
    log(f"SQLite single process: {sqlite_figure():.0f} transfers/s")
    ratio = ours_total / tpcb_total
    ok = "yes" if ratio >= GOAL and not violations else "no"
    log(f"RESULT ledger ratio_tpcb_8w_uniform={ratio:.2f} goal={GOAL} ok={ok}")


if __name__ == "__main__":
    main()
