from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_pages_are_finnish_by_default(client):
    response = client.get("/")
    assert 'lang="fi"' in response.content.decode()
    assert "Kirjaudu sisään" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "phrase"), [("sv", "Logga in"), ("en", "Sign in")])
def test_the_language_switcher_changes_the_language(client, code, phrase):
    response = client.post("/language/", {"language": code, "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert f'lang="{code}"' in page
    assert phrase in page


@pytest.mark.django_db
def test_an_unknown_language_code_falls_back_to_finnish(client):
    client.post("/language/", {"language": "sv"})
    client.post("/language/", {"language": "xx"})
    assert 'lang="fi"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_an_unknown_browser_language_falls_back_to_finnish(client):
    response = client.get("/", headers={"accept-language": "de-DE,de;q=0.9"})
    assert 'lang="fi"' in response.content.decode()


@pytest.mark.django_db
def test_the_switcher_never_redirects_to_another_site(client):
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_signed_in_resident_keeps_their_language_on_any_device(client, resident):
    client.force_login(resident)
    client.post("/language/", {"language": "en"})
    resident.refresh_from_db()
    assert resident.preferred_language == "en"
    client.cookies.clear()
    client.force_login(resident)
    assert 'lang="en"' in client.get("/").content.decode()
