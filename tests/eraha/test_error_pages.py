from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import path

from eraha.urls import urlpatterns as real_urls


def boom(request):
    raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [*real_urls, path("boom/", boom)]
handler500 = "eraha.views.server_error"


@pytest.mark.django_db
def test_a_missing_page_is_friendly_and_translated(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Sivua ei löytynyt" in response.content.decode()
    client.post("/language/", {"language": "sv"})
    assert "Sidan hittades inte" in client.get("/no-such-page/").content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_is_friendly_and_leaks_nothing(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "hunter2" not in body and "Traceback" not in body
    assert "Jokin meni vikaan" in body
