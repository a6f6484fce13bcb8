from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from people.models import User
from tests.factories import PASSWORD


def test_a_resident_signs_in_with_email_and_password_and_signs_out(client, resident):
    response = client.post("/accounts/login/", {"login": "asukas@example.fi", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == resident
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not client.get("/").context["user"].is_authenticated


def test_a_wrong_password_is_refused_in_finnish(client, resident):
    response = client.post("/accounts/login/", {"login": "asukas@example.fi", "password": "wrong"})
    assert response.status_code == 200
    assert "virheellinen" in response.content.decode().lower() or "ei ole oikein" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_errors_are_shown_in_the_chosen_language(client, resident):
    client.post("/language/", {"language": "sv"})
    response = client.post("/accounts/login/", {"login": "asukas@example.fi", "password": "wrong"})
    assert response.status_code == 200
    assert 'lang="sv"' in response.content.decode()
    assert "inte korrekt" in response.content.decode() or "felaktig" in response.content.decode().lower()


@pytest.mark.django_db
def test_sign_up_needs_email_verification_before_login(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "uusi@example.fi", "password1": "a-long-enough-passw0rd", "password2": "a-long-enough-passw0rd"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="uusi@example.fi")
    assert user.handle == "uusi"
    assert user.preferred_language == "fi"
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    response = client.post("/accounts/login/", {"login": "uusi@example.fi", "password": "a-long-enough-passw0rd"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_sign_up_refuses_a_taken_email_and_a_weak_password(client, resident):
    response = client.post(
        "/accounts/signup/", {"email": "ASUKAS@example.fi", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert User.objects.count() == 1


def test_login_by_code_is_offered(client, resident):
    response = client.get("/accounts/login/code/")
    assert response.status_code == 200
    client.post("/accounts/login/code/", {"email": "asukas@example.fi"})
    assert len(mail.outbox) == 1


def test_mfa_is_available_to_every_account(client, resident):
    client.post("/accounts/login/", {"login": "asukas@example.fi", "password": PASSWORD})
    assert client.get("/accounts/2fa/").status_code == 200
    response = client.get("/accounts/2fa/totp/activate/")
    if response.status_code == 302:  # allauth asks for the password again before security changes
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    assert "svg" in response.content.decode()  # the QR code to scan with an authenticator app


def test_profile_can_be_edited_and_the_handle_must_be_unique(client, resident, neighbour):
    client.force_login(resident)
    data = {
        "display_name": "Aino A.",
        "handle": "niilo",
        "preferred_language": "sv",
        "neighbourhood": "Vuoksenniska",
        "email_notifications": "on",
    }
    response = client.post("/accounts/profile/", data)
    assert response.status_code == 200
    resident.refresh_from_db()
    assert resident.handle == "aino"
    response = client.post("/accounts/profile/", {**data, "handle": "aino-a"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.display_name, resident.handle, resident.preferred_language) == ("Aino A.", "aino-a", "sv")


def test_the_profile_needs_a_login(client, db):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
