"""Named users shared by every test: resident, neighbour, publisher, verifier, cashier, city_admin."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none (user pks repeat between tests)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def resident(db):
    return make_user("asukas@example.fi", display_name="Aino Asukas", handle="aino")


@pytest.fixture
def neighbour(db):
    return make_user("naapuri@example.fi", display_name="Niilo Naapuri", handle="niilo")


@pytest.fixture
def parks(db):
    from people.services import upsert_department

    return upsert_department(slug="parks", name_fi="Puistot", name_sv="Parker", name_en="Parks")


@pytest.fixture
def youth(db):
    from people.services import upsert_department

    return upsert_department(slug="youth", name_fi="Nuoriso", name_sv="Ungdom", name_en="Youth")


@pytest.fixture
def publisher(db, parks):
    from people import roles

    return make_user("julkaisija@example.fi", role=roles.PUBLISHER, departments=[parks])


@pytest.fixture
def verifier(db, parks):
    from people import roles

    return make_user("tarkastaja@example.fi", role=roles.VERIFIER, departments=[parks])


@pytest.fixture
def cashier(db):
    from people import roles

    return make_user("kassa@example.fi", role=roles.CASHIER)


@pytest.fixture
def city_admin(db, parks):
    from people import roles

    return make_user("admin@example.fi", role=roles.CITY_ADMIN, departments=[parks], is_staff=True)


def using_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _ledger_audit(request):
    """Runs the ledger audit after every test that used the database and fails the test on a violation.

    The database fixture is set up inside this one, so the audit runs before the test's transaction is
    rolled back (or, for transactional tests, before the tables are flushed). Cheap with an empty ledger.
    """
    from wallet import db as ledger_db

    ledger_db.lock_after_flush()
    if "_django_db_helper" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from wallet.audit import run_audit
    from wallet.models import Account

    with request.getfixturevalue("django_db_blocker").unblock():
        violations = run_audit() if Account.objects.exists() else []
    # Transactional tests on SQLite empty the tables with DELETE right after this fixture; allow it until
    # the next test starts.
    ledger_db.unlock_for_flush()
    if violations:
        pytest.fail("Ledger audit failed after the test:\n" + "\n".join(str(v) for v in violations))
