"""Fault tests: PostgreSQL stopped in the middle of approvals and started again; Redis down.

The PostgreSQL test never touches the machine's shared server: it makes a throwaway cluster of its own in a
temporary folder (initdb + pg_ctl on a free port), migrates and seeds it from a separate process
(tests/quality/fault_app.py), serves the app from it with gunicorn (2 sync workers), approves proofs through
the queue's decide endpoint from a thread, stops the cluster with `pg_ctl stop -m immediate` (a crash) part-way
and starts it again. Then no proof may be half-paid, the ledger audit must pass, and the same gunicorn
workers must answer again without a restart.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.test import Client

from eraha.cache import ResilientRedisCache

ROOT = Path(__file__).resolve().parents[2]
CSRF = "faultcsrffaultcsrffaultcsrf12345"  # a 32-character CSRF secret, sent as cookie and header


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- (a) PostgreSQL stopped in the middle of approvals ----------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """A PostgreSQL cluster of this test only: its own folder, port and socket directory."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="eraha-fault-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        # initdb refuses to run as root: run the server as the postgres user then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/eraha_fault"

    def run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE eraha_fault")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )

    def crash(self) -> None:
        """Stops the server the hard way: every connection dies, no shutdown checkpoint (like a power cut)."""
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster():
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin) for a throwaway cluster")
    cluster = Cluster(bindir)
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()


def _app_env(database_url: str, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_ENV"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "eraha.settings",
            "DJANGO_DEBUG": "0",
            "DB_CONN_MAX_AGE": "60",  # persistent connections: the ones the crash breaks
            "DB_CONNECT_TIMEOUT": "2",
            "LOG_LEVEL": "CRITICAL",
            **extra,
        }
    )
    return env


def _children(pid: int) -> set[int]:
    found = set()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(Path(stat).parent.name))
    return found


def _request(port: int, method: str, path: str, *, session: str, body: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body or None, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.postgres
def test_a_postgresql_crash_in_the_middle_of_approvals_leaves_no_half_paid_proof_and_the_app_recovers(cluster):
    env = _app_env(cluster.url)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    seeded = json.loads(
        subprocess.run(
            [python, "-m", "tests.quality.fault_app", "seed", "40"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            "eraha.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "30",
            "--log-level",
            "critical",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _request(port, "GET", "/readiness", session="") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        workers = _children(server.pid)
        assert len(workers) == 2

        verifier = seeded["verifier_session"]
        approved: list[int] = []
        failures: list[str] = []
        crashed = threading.Event()

        def approve_all() -> None:
            """A verifier presses "approve" on each proof, and again when the server answers with an error."""
            finish = time.monotonic() + 120
            for proof in seeded["proofs"]:
                while time.monotonic() < finish:
                    try:
                        status = _request(
                            port, "POST", f"/staff/queue/{proof}/decide/", session=verifier, body="action=approve"
                        )
                    except OSError as error:
                        status = repr(error)
                    if status == 302:
                        approved.append(proof)
                        break
                    failures.append(f"proof {proof}: {status}")
                    time.sleep(0.3)

        worker = threading.Thread(target=approve_all)
        worker.start()
        while len(approved) < 10 and worker.is_alive():
            time.sleep(0.05)
        cluster.crash()
        crashed.set()
        during = _request(port, "GET", "/readiness", session="")
        live = _request(port, "GET", "/healthz", session="")
        time.sleep(2)
        cluster.start()
        worker.join(150)

        assert not worker.is_alive()
        print(f"approval attempts refused by the crash: {len(failures)}, e.g. {failures[:3]}")  # shown with -s
        assert during == 503 and live == 200  # readiness tells the proxy; liveness does not restart the workers
        assert failures, "the crash did not hit an approval: the test proved nothing"
        assert sorted(approved) == sorted(seeded["proofs"])
        # The same processes answer again: recovery without a restart.
        assert _children(server.pid) == workers
        assert _request(port, "GET", "/readiness", session="") == 200
        resident = seeded["resident_session"]
        for path in ("/", "/tasks/", "/wallet/"):
            assert _request(port, "GET", path, session=resident) == 200, path
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    result = subprocess.run(
        [python, "-m", "tests.quality.fault_app", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    checked = json.loads(result.stdout.strip().splitlines()[-1])
    assert checked["half_paid"] == []
    assert checked["approved"] == checked["paid"] == 40
    assert checked["violations"] == []
    audit = subprocess.run([python, "manage.py", "ledger_audit"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr


# --- (b) Redis down -------------------------------------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """The production Redis settings (cache, sessions through the cache, channel layer) with nothing listening."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "eraha.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "fault",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 2, "socket_connect_timeout": 1}]},
        }
    }
    yield url
    ResilientRedisCache._down_until = 0.0


def test_with_redis_down_the_cache_reads_as_empty_and_waits_before_trying_again(redis_down):
    from django.core.cache import cache

    assert cache.get("anything", "missing") == "missing"
    assert ResilientRedisCache._down_until > time.monotonic() + 4  # no new connection for a few seconds
    assert cache.set("key", 1) is None
    assert cache.add("key", 1) is False
    assert "key" not in cache
    assert cache.get_many(["a", "b"]) == {}
    with pytest.raises(ValueError):
        cache.incr("key")


def test_with_redis_up_the_resilient_cache_is_an_ordinary_redis_cache(settings):
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "eraha.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/12",
            "KEY_PREFIX": f"loadtest-{time.monotonic_ns()}",
        }
    }
    try:
        cache._cache.get_client().ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache.set("counter", 1, timeout=30)
    assert cache.incr("counter") == 2
    assert cache.get("counter") == 2
    cache.delete("counter")


def test_with_redis_down_the_pages_still_serve_and_an_approval_pays(
    redis_down, resident, verifier, parks, publisher, django_capture_on_commit_callbacks
):
    import datetime as dt

    import time_machine
    from django.core.cache import cache

    from tests.verification import helpers
    from verification.models import Proof
    from wallet.services import wallet_balance

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever redis-py raises: nothing listens there
        cache._cache.get_client().ping()
    with time_machine.travel(helpers.NOW + dt.timedelta(hours=1), tick=False):
        task = helpers.city_task(department=parks, creator=publisher)
        claim = helpers.claim(task, resident)
        residents_client, verifiers_client = Client(), Client()
        residents_client.force_login(resident)
        verifiers_client.force_login(verifier)
        for path in ("/", "/tasks/", "/wallet/", f"/tasks/{task.pk}/"):
            assert residents_client.get(path).status_code == 200, path
        with django_capture_on_commit_callbacks(execute=True):
            sent = residents_client.post(
                f"/proofs/claim/{claim.pk}/", {"photos": [helpers.photo_file()], "submission_key": "redis-down-1"}
            )
        assert sent.status_code == 302
        proof = Proof.objects.get(claim=claim)
        assert proof.status == Proof.Status.QUEUED  # a new resident: a person looks
        assert verifiers_client.get(f"/staff/queue/{proof.pk}/").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            decided = verifiers_client.post(f"/staff/queue/{proof.pk}/decide/", {"action": "approve"})
        assert decided.status_code == 302
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED
    assert wallet_balance(user=resident) == 500
