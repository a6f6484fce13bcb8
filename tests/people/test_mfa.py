from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError

from people import roles
from tests.factories import PASSWORD, make_user


@pytest.mark.django_db
def test_a_staff_member_without_mfa_is_sent_to_set_it_up(client):
    verifier = make_user("v@example.fi", role=roles.VERIFIER, mfa=False)
    client.force_login(verifier)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert client.get("/accounts/2fa/").status_code == 200  # the setup page itself stays open


def test_a_staff_member_with_mfa_passes(client, verifier):
    client.force_login(verifier)
    assert Authenticator.objects.filter(user=verifier, type="totp").exists()
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/", follow=False).status_code == 200


def test_a_resident_needs_no_mfa(client, resident):
    client.force_login(resident)
    assert client.get("/accounts/profile/").status_code == 200


def test_a_staff_login_asks_for_the_second_factor(client, verifier):
    response = client.post("/accounts/login/", {"login": verifier.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session


def test_the_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_resident_cannot_open_the_admin(client, resident):
    client.force_login(resident)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_the_staff_action_log_is_read_only_for_the_city_administrator(client, city_admin, verifier):
    from people.services import record_staff_action

    record_staff_action(actor=verifier, action="proof.reject", target="proof:1", reason="blurry")
    client.force_login(city_admin)
    response = client.get("/admin/people/staffaction/")
    assert response.status_code == 200
    assert "proof.reject" in response.content.decode()
    assert client.get("/admin/people/staffaction/add/").status_code == 403


def test_totp_code_prints_a_valid_code_and_refuses_production(verifier, settings, capsys):
    from allauth.mfa.totp.internal.auth import validate_totp_code
    from allauth.mfa.utils import decrypt

    call_command("totp_code", verifier.email)
    code = capsys.readouterr().out.strip()
    secret = decrypt(Authenticator.objects.get(user=verifier, type="totp").data["secret"])
    assert validate_totp_code(secret, code)
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("totp_code", verifier.email)
