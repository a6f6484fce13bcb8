from __future__ import annotations

import pytest


def nav_labels(client) -> list[str]:
    return [item["label"] for item in client.get("/").context["nav_items"]]


@pytest.mark.django_db
def test_an_anonymous_visitor_sees_no_staff_navigation(client):
    labels = [str(label) for label in nav_labels(client)]
    for staff_item in ("Jono", "Lunasta", "Julkaise", "Ylläpito"):
        assert staff_item not in labels


@pytest.mark.parametrize(
    ("who", "sees", "does_not_see"),
    [
        ("resident", set(), {"queue", "redeem", "publish", "admin"}),
        ("verifier", {"queue"}, {"redeem", "publish", "admin"}),
        ("cashier", {"redeem"}, {"queue", "publish", "admin"}),
        ("publisher", {"publish"}, {"queue", "redeem", "admin"}),
        ("city_admin", {"queue", "publish", "admin"}, {"redeem"}),
    ],
)
def test_each_role_sees_only_its_navigation(client, request, who, sees, does_not_see):
    from eraha.context_processors import NAVIGATION

    keys = {
        "verification:queue": "queue",
        "vouchers:redeem": "redeem",
        "tasks:publisher_home": "publish",
        "admin:index": "admin",
    }
    user = request.getfixturevalue(who)
    client.force_login(user)
    items = client.get("/").context["nav_items"]
    shown_urls = {item["url"] for item in items}
    from django.urls import NoReverseMatch, reverse

    for url_name, _label, _visible in NAVIGATION:
        key = keys.get(url_name)
        if key is None:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that part of the product is not installed yet
        if key in sees:
            assert url in shown_urls, f"{who} should see {key}"
        if key in does_not_see:
            assert url not in shown_urls, f"{who} should not see {key}"


def test_only_the_most_specific_navigation_item_is_current(client, publisher):
    from django.urls import reverse

    publish_url = reverse("tasks:publisher_home")
    client.force_login(publisher)
    items = client.get(publish_url).context["nav_items"]
    assert [item["url"] for item in items if item["current"]] == [publish_url]
