"""Settings read the environment, switch databases and fail loudly on bad values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'options': {k: str(v) for k, v in settings.DATABASES['default'].get('OPTIONS', {}).items()}, "
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'], 'cache': settings.CACHES['default']['BACKEND'], "
    "'debug': settings.DEBUG, 'production': settings.PRODUCTION}))"
)
CLEAN = {
    k: v
    for k, v in os.environ.items()
    if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
}
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-for-tests",
    "DJANGO_ALLOWED_HOSTS": "eraha.imatra.fi",
}


def run_settings(env: dict[str, str], code: str = PROBE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**CLEAN, "DJANGO_SETTINGS_MODULE": "eraha.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe(env: dict[str, str]) -> dict:
    result = run_settings(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_default_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    config = probe({"ERAHA_VAR_DIR": str(tmp_path)})
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["options"]["init_command"]
    assert config["layer"] == "channels.layers.InMemoryChannelLayer"
    assert config["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["debug"] is False


def test_database_url_switches_to_postgresql():
    config = probe({"DATABASE_URL": "postgres://eraha@db.example:5432/eraha"})
    assert config["engine"] == "django.db.backends.postgresql"


def test_redis_url_switches_the_channel_layer_and_the_cache():
    config = probe({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config["layer"] == "channels_redis.core.RedisChannelLayer"
    # Django's RedisCache, made to read a Redis outage as an empty cache (tests/quality/test_faults.py).
    assert config["cache"] == "eraha.cache.ResilientRedisCache"


def test_debug_is_on_only_when_asked():
    assert probe({"DJANGO_DEBUG": "1"})["debug"] is True


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1"}, "REDIS_URL"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({"DJANGO_ENV": "staging"}, "DJANGO_ENV"),
        ({"DB_CONN_MAX_AGE": "soon", "DATABASE_URL": "postgres://a@b/c"}, "DB_CONN_MAX_AGE"),
        ({**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_bad_environment_values_stop_start_up_naming_the_variable(env, variable):
    result = run_settings(env)
    assert result.returncode != 0
    assert variable in result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**CLEAN, **PRODUCTION_ENV, "ERAHA_VAR_DIR": str(tmp_path)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
