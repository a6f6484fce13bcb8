from __future__ import annotations

from unittest import mock

import pytest
from django.db.utils import OperationalError


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_is_ok_when_the_database_answers(client):
    response = client.get("/readiness")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readiness_fails_and_healthz_still_answers_when_the_database_is_down(client):
    with mock.patch("eraha.views._check_database", side_effect=OperationalError("connection refused")):
        readiness = client.get("/readiness")
        healthz = client.get("/healthz")
    assert readiness.status_code == 503
    body = readiness.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False}
    assert "refused" not in readiness.content.decode()  # the reason goes to the log, not to the world
    assert healthz.status_code == 200


@pytest.mark.django_db
def test_readiness_checks_redis_when_configured(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readiness")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False}
