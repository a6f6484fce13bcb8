from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command

from people.models import User

DEMO_EMAILS = {
    "asukas@example.fi",
    "naapuri@example.fi",
    "julkaisija@example.fi",
    "tarkastaja@example.fi",
    "kassa@example.fi",
    "admin@example.fi",
}


def snapshot() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin"}:
            continue
        counts[model._meta.label] = model.objects.count()
    return counts


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_accounts_and_can_run_twice(capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    for email in DEMO_EMAILS:
        assert email in printed
        assert User.objects.filter(email=email).exists()
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first


@pytest.mark.django_db
def test_demo_accounts_have_their_roles_and_the_demo_password(client, settings):
    call_command("seed_demo", quiet=True)
    verifier = User.objects.get(email="tarkastaja@example.fi")
    assert verifier.has_perm("people.verify_proofs")
    assert not verifier.has_perm("people.redeem_vouchers")
    assert User.objects.get(email="kassa@example.fi").has_perm("people.redeem_vouchers")
    assert not User.objects.get(email="asukas@example.fi").has_perm("people.verify_proofs")
    response = client.post("/accounts/login/", {"login": "asukas@example.fi", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
