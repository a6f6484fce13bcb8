"""The notices page, marking notices read, the header's unread count and the fallback poll."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import services
from notifications.kinds import Kind
from notifications.models import Notification


@pytest.fixture(autouse=True)
def _no_pushes(monkeypatch):
    monkeypatch.setattr(services, "send_to_group", lambda **kwargs: True)


def _notices(user, count: int):
    with transaction.atomic():
        return [
            services.notify(recipient=user, kind=Kind.TOP_UP_CREDITED, params={"amount": 100 * (n + 1)})
            for n in range(count)
        ]


def test_the_notices_page_lists_the_residents_own_notices_newest_first(client, resident, neighbour):
    first, second = _notices(resident, 2)
    _notices(neighbour, 1)
    client.force_login(resident)
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'id="notice-{second.pk}"') < html.index(f'id="notice-{first.pk}"')
    assert 'id="notice-list"' in html
    assert html.count('class="notice unread"') == 2
    assert "Ilmoitukset: 2 uutta" in html


def test_the_notices_page_is_for_signed_in_users(client, db):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_notices_page_is_paginated_with_a_constant_number_of_queries(client, resident):
    client.force_login(resident)
    _notices(resident, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    _notices(resident, 40)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("notifications:list"))
    assert len(many) == len(few)
    assert response.content.decode().count('class="notice unread"') == 20
    page3 = client.get(reverse("notifications:list"), {"page": 3})
    assert page3.content.decode().count('class="notice unread"') == 3
    assert 'id="notice-list"' not in page3.content.decode()
    bad = client.get(reverse("notifications:list"), {"page": "abc"})
    assert bad.status_code == 200 and bad.context["page"].number == 1


def test_marking_a_notice_read(client, resident):
    [notice] = _notices(resident, 1)
    client.force_login(resident)
    response = client.post(reverse("notifications:mark_read", args=[notice.pk]))
    assert response.status_code == 302 and response.url == reverse("notifications:list")
    notice.refresh_from_db()
    assert notice.is_read


def test_marking_a_notice_read_with_htmx_returns_the_updated_item(client, resident):
    [notice] = _notices(resident, 1)
    client.force_login(resident)
    response = client.post(reverse("notifications:mark_read", args=[notice.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notice-{notice.pk}"' in html and "unread" not in html
    assert Notification.objects.get(pk=notice.pk).is_read


def test_another_residents_notice_cannot_be_marked_read(client, resident, neighbour):
    [notice] = _notices(resident, 1)
    client.force_login(neighbour)
    response = client.post(reverse("notifications:mark_read", args=[notice.pk]))
    assert response.status_code == 404
    assert not Notification.objects.get(pk=notice.pk).is_read


def test_marking_read_needs_a_post(client, resident):
    [notice] = _notices(resident, 1)
    client.force_login(resident)
    assert client.get(reverse("notifications:mark_read", args=[notice.pk])).status_code == 405
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    assert not Notification.objects.get(pk=notice.pk).is_read


def test_marking_all_read_touches_only_the_residents_own_notices(client, resident, neighbour):
    _notices(resident, 3)
    _notices(neighbour, 2)
    client.force_login(resident)
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    assert "3 ilmoitusta merkitty luetuksi." in response.content.decode()
    assert not Notification.objects.filter(recipient=resident, is_read=False).exists()
    assert Notification.objects.filter(recipient=neighbour, is_read=False).count() == 2


def test_the_header_links_the_unread_count_and_polls_every_30_seconds(client, resident):
    _notices(resident, 1)
    client.force_login(resident)
    html = client.get("/").content.decode()
    assert 'id="unread-count"' in html and "Ilmoitukset: 1 uusi" in html
    assert 'hx-trigger="every 30s"' in html and 'ws-connect="/ws/resident/"' in html
    assert "htmx-ext-ws.min.js" in html
    # The balance is the ledger's (wallet.context_processors.header_balance).
    assert "Saldo: </span>0,00 eRaha" in html


def test_pages_for_anonymous_visitors_do_not_load_the_websocket_extension(client, db):
    html = client.get("/").content.decode()
    assert "htmx-ext-ws" not in html and "ws-connect" not in html


def test_the_header_shows_the_balance_the_ledger_provides(resident, rf):
    from django.template.loader import render_to_string

    html = render_to_string(
        "_header_status.html", {"user": resident, "unread_notifications": 0, "header_balance": "12,50 eRaha"}
    )
    assert '<span class="balance">' in html and "12,50 eRaha" in html
    without = render_to_string("_header_status.html", {"user": resident, "unread_notifications": 0})
    assert 'class="balance"' not in without


def test_the_fallback_poll_returns_the_current_count(client, resident):
    client.force_login(resident)
    _notices(resident, 2)
    response = client.get(reverse("notifications:status"))
    assert response.status_code == 200
    assert "Ilmoitukset: 2 uutta" in response.content.decode()
    assert 'id="header-balance"' in response.content.decode()


def test_the_fallback_poll_leaves_the_header_alone_after_sign_out(client, db):
    assert client.get(reverse("notifications:status")).status_code == 204
