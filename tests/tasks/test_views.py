"""Pages of the tasks app: happy paths, outsiders (404), missing permissions (403) and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from people import roles
from tasks import services
from tasks.models import Category, Claim, ScreeningOverride, Task, TaskTemplate
from tests.factories import make_user
from wallet import services as wallet

from .conftest import NOW, make_open_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def fund(department, amount=100_000):
    wallet.fund_department(department=department, amount=amount, actor=None, idempotency_key=f"t:{department.pk}")


def task_post_data(**overrides):
    data = {
        "category": Category.objects.get(slug="neighbour-help").pk,
        "title": "Kauppakassien kantaminen",
        "description": "Kannan kauppakassit kolmanteen kerrokseen huomenna.",
        "address": "Koskenparras 1",
        "latitude": "61.193000",
        "longitude": "28.776000",
        "reward": "8,00",
        "slots": "1",
        "claim_window_hours": "24",
        "deadline": (NOW + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "photo_count": "1",
        "taken_after_claim": "on",
    }
    data.update(overrides)
    return data


# --- List ----------------------------------------------------------------------------------------


def test_the_list_shows_open_tasks_to_a_resident(client, resident, parks, publisher):
    make_open_task(department=parks, created_by=publisher, title="Roskien keräys Imatrankoskella")
    Task.objects.create(
        kind="city",
        department=parks,
        created_by=publisher,
        category=Category.objects.get(slug="litter"),
        title="Salainen luonnos",
        description="x",
        reward_cents=100,
        deadline=NOW + timedelta(days=1),
    )
    client.force_login(resident)
    response = client.get(reverse("tasks:list"))
    assert response.status_code == 200
    assert "Roskien keräys Imatrankoskella" in response.content.decode()
    assert "Salainen luonnos" not in response.content.decode()


def test_the_list_filters_by_category_and_reward(client, resident, parks, publisher):
    make_open_task(department=parks, created_by=publisher, title="Halpa roskatehtävä", reward_cents=200)
    make_open_task(department=parks, created_by=publisher, title="Luontotehtävä", category="nature", reward_cents=900)
    client.force_login(resident)
    page = client.get(reverse("tasks:list"), {"category": "nature"}).content.decode()
    assert "Luontotehtävä" in page and "Halpa roskatehtävä" not in page
    page = client.get(reverse("tasks:list"), {"min_reward": "5"}).content.decode()
    assert "Luontotehtävä" in page and "Halpa roskatehtävä" not in page


def test_the_list_finds_tasks_near_a_location_nearest_first(client, resident, parks, publisher):
    make_open_task(
        department=parks, created_by=publisher, title="Kaukana Lappeenrannassa", latitude="61.0587", longitude="28.1887"
    )
    make_open_task(
        department=parks, created_by=publisher, title="Vuoksen rannalla", latitude="61.1930", longitude="28.7760"
    )
    make_open_task(
        department=parks, created_by=publisher, title="Imatrankoskella", latitude="61.1710", longitude="28.7690"
    )
    client.force_login(resident)
    page = client.get(reverse("tasks:list"), {"lat": "61.1712", "lon": "28.7688", "radius": "5"}).content.decode()
    assert "Kaukana Lappeenrannassa" not in page
    assert page.index("Imatrankoskella") < page.index("Vuoksen rannalla")


def test_the_list_ignores_bad_filter_values(client, resident, city_task):
    client.force_login(resident)
    response = client.get(reverse("tasks:list"), {"lat": "500", "lon": "x", "min_reward": "abc", "page": "zz"})
    assert response.status_code == 200
    assert city_task.title in response.content.decode()


def test_the_list_uses_the_same_number_of_queries_whatever_the_number_of_tasks(client, resident, parks, publisher):
    client.force_login(resident)
    make_open_task(department=parks, created_by=publisher)
    peer_poster = make_user()
    make_open_task(poster=peer_poster, category="neighbour-help")
    client.get(reverse("tasks:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("tasks:list"))
    for index in range(30):
        make_open_task(department=parks, created_by=publisher, title=f"Tehtävä {index}")
        make_open_task(poster=make_user(), category="neighbour-help", title=f"Naapuri {index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("tasks:list"))
    assert len(many) == len(few)
    assert 'rel="next"' in response.content.decode()


def test_the_map_data_is_geojson_of_the_filtered_tasks(client, city_task):
    data = client.get(reverse("tasks:map_data")).json()
    assert data["type"] == "FeatureCollection"
    assert data["features"][0]["properties"]["url"] == f"/tasks/{city_task.pk}/"


# --- Detail, claim, give up, my tasks -------------------------------------------------------------


def test_a_resident_claims_from_the_detail_page_and_sees_the_deadline(client, resident, city_task):
    client.force_login(resident)
    page = client.get(reverse("tasks:detail", args=[city_task.pk])).content.decode()
    assert reverse("tasks:claim", args=[city_task.pk]) in page
    response = client.post(reverse("tasks:claim", args=[city_task.pk]))
    assert response.status_code == 302
    claim = Claim.objects.get(task=city_task, resident=resident)
    assert claim.expires_at == NOW + timedelta(hours=24)
    page = client.get(reverse("tasks:mine")).content.decode()
    assert city_task.title in page
    assert f'datetime="{claim.expires_at.astimezone(timezone.get_current_timezone()).isoformat()}"' in page


def test_claiming_a_full_task_shows_a_message_and_writes_nothing(client, resident, neighbour, city_task):
    services.claim_task(task=city_task, resident=neighbour, now=NOW)
    client.force_login(resident)
    response = client.post(reverse("tasks:claim", args=[city_task.pk]), follow=True)
    assert response.status_code == 200
    assert not Claim.objects.filter(resident=resident).exists()
    assert len(list(response.context["messages"])) == 1


def test_claiming_needs_a_signed_in_user(client, city_task):
    response = client.post(reverse("tasks:claim", args=[city_task.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Claim.objects.exists()


def test_a_hidden_task_is_404_for_outsiders(client, resident, parks, publisher):
    task = make_open_task(department=parks, created_by=publisher)
    Task.objects.filter(pk=task.pk).update(status=Task.Status.BLOCKED)
    client.force_login(resident)
    assert client.get(reverse("tasks:detail", args=[task.pk])).status_code == 404
    assert client.post(reverse("tasks:claim", args=[task.pk])).status_code == 404


def test_giving_up_someone_elses_claim_is_404(client, resident, neighbour, city_task):
    claim = services.claim_task(task=city_task, resident=neighbour, now=NOW)
    client.force_login(resident)
    assert client.post(reverse("tasks:give_up", args=[claim.pk])).status_code == 404
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE


def test_a_resident_gives_up_a_claim(client, resident, city_task):
    claim = services.claim_task(task=city_task, resident=resident, now=NOW)
    client.force_login(resident)
    assert client.post(reverse("tasks:give_up", args=[claim.pk])).status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.GIVEN_UP


# --- Peer tasks -----------------------------------------------------------------------------------


def test_a_resident_posts_a_peer_task_funded_from_their_wallet(client, resident):
    wallet.credit_card_top_up(resident=resident, amount=5000, idempotency_key="t:top")
    client.force_login(resident)
    response = client.post(reverse("tasks:new"), task_post_data())
    task = Task.objects.get()
    assert response.status_code == 302
    assert (task.status, task.reward_cents, task.poster) == (Task.Status.OPEN, 800, resident)
    assert wallet.wallet_balance(user=resident) == 4200


def test_a_window_cleaning_task_is_blocked_with_a_reason_in_finnish(client, resident):
    wallet.credit_card_top_up(resident=resident, amount=5000, idempotency_key="t:top")
    client.force_login(resident)
    data = task_post_data(title="Ikkunanpesu", description="Pesen ikkunasi 10 eRahalla.")
    response = client.post(reverse("tasks:new"), data, follow=True, HTTP_ACCEPT_LANGUAGE="fi")
    task = Task.objects.get()
    assert task.status == Task.Status.BLOCKED
    assert "Kotien siivous ja ikkunanpesu" in response.content.decode()
    assert wallet.wallet_balance(user=resident) == 5000


def test_the_live_screening_partial_explains_a_block(client, resident):
    client.force_login(resident)
    response = client.post(reverse("tasks:screen"), task_post_data(title="Lastenhoito", description="Babysitting"))
    assert response.status_code == 200
    assert "child care" in response.content.decode().lower() or "lastenhoito" in response.content.decode().lower()
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "override",
    [
        {"reward": "25,00"},
        {"slots": "0"},
        {"deadline": (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
        {"latitude": "95", "longitude": "28"},
        {"latitude": "61.1"} | {"longitude": ""},
    ],
)
def test_bad_peer_task_input_is_refused_and_nothing_is_written(client, resident, override):
    wallet.credit_card_top_up(resident=resident, amount=5000, idempotency_key="t:top")
    client.force_login(resident)
    response = client.post(reverse("tasks:new"), task_post_data(**override))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Task.objects.exists()
    assert wallet.wallet_balance(user=resident) == 5000


def test_a_short_wallet_refuses_publishing_with_a_message(client, resident):
    client.force_login(resident)
    response = client.post(reverse("tasks:new"), task_post_data())
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Task.objects.exists()


def test_only_the_poster_may_edit_or_cancel_a_peer_task(client, resident, neighbour):
    task = make_open_task(poster=resident, category="neighbour-help")
    client.force_login(neighbour)
    assert client.get(reverse("tasks:edit", args=[task.pk])).status_code == 403
    assert client.post(reverse("tasks:cancel", args=[task.pk])).status_code == 403
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


# --- Publishers -----------------------------------------------------------------------------------


def test_a_publisher_sees_their_budget_and_tasks(client, publisher, parks):
    fund(parks, 12_345)
    client.force_login(publisher)
    response = client.get(reverse("tasks:publisher_home"))
    assert response.status_code == 200
    assert response.context["budgets"] == [(parks, 12_345)]


def test_publisher_pages_are_forbidden_to_residents_and_cashiers(client, resident, cashier):
    for user in (resident, cashier):
        client.force_login(user)
        assert client.get(reverse("tasks:publisher_home")).status_code == 403
        assert client.get(reverse("tasks:new_city")).status_code == 403
        assert client.get(reverse("tasks:template_new")).status_code == 403


def test_a_publisher_creates_a_city_task(client, publisher, parks):
    fund(parks)
    client.force_login(publisher)
    data = task_post_data(
        department=parks.pk,
        category=Category.objects.get(slug="litter").pk,
        title="Roskien keräys Vuoksen rannalla",
        description="Kerää roskat rantapolulta. Siivousvälineet lainataan kaupungilta.",
        slots="4",
        city="1",
    )
    response = client.post(reverse("tasks:new_city"), data)
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.kind, task.department, task.status) == ("city", parks, Task.Status.OPEN)
    assert wallet.escrow_balance(task_key=task.task_key) == 3200


def test_a_publisher_cannot_post_for_another_department(client, publisher, youth):
    fund(youth)
    client.force_login(publisher)
    data = task_post_data(department=youth.pk, category=Category.objects.get(slug="litter").pk, city="1")
    response = client.post(reverse("tasks:new_city"), data)
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert not Task.objects.exists()


def test_a_publisher_of_another_department_cannot_change_a_city_task(client, youth, city_task):
    other = make_user("nuoriso@example.fi", role=roles.PUBLISHER, departments=[youth])
    client.force_login(other)
    assert client.post(reverse("tasks:cancel", args=[city_task.pk])).status_code == 403
    city_task.refresh_from_db()
    assert city_task.status == Task.Status.OPEN


def test_a_publisher_creates_twenty_tasks_from_a_template_with_a_preview(client, publisher, parks):
    fund(parks, 50_000)
    client.force_login(publisher)
    response = client.post(
        reverse("tasks:template_new"),
        {
            "department": parks.pk,
            "category": Category.objects.get(slug="litter").pk,
            "name": "Roskien keräys puistoissa",
            "title": "Roskien keräys: {place}",
            "description": "Kerää roskat puistosta.",
            "reward": "5,00",
            "slots": "1",
            "claim_window_hours": "24",
            "days_open": "14",
            "photo_count": "2",
            "before_after": "on",
            "taken_after_claim": "on",
            "max_distance_m": "300",
        },
    )
    template = TaskTemplate.objects.get()
    assert response.status_code == 302
    places = "\n".join(f"Puisto {i}, Puistotie {i}, 61.{190000 + i}, 28.{770000 + i}" for i in range(20))
    url = reverse("tasks:template_batch", args=[template.pk])
    preview = client.post(url, {"places": places, "confirm": "0"})
    assert preview.context["preview"].total_cost_cents == 10_000
    assert not Task.objects.exists()
    response = client.post(url, {"places": places, "confirm": "1"})
    assert response.status_code == 302
    assert Task.objects.filter(template=template, status=Task.Status.OPEN).count() == 20
    assert wallet.department_balance(department=parks) == 40_000


def test_a_template_csv_with_bad_rows_names_them_and_publishes_nothing(client, publisher, parks):
    fund(parks)
    template = TaskTemplate.objects.create(
        department=parks,
        category=Category.objects.get(slug="litter"),
        name="Roskat",
        title="Roskat: {place}",
        description="Kerää roskat.",
        reward_cents=500,
        created_by=publisher,
    )
    client.force_login(publisher)
    places = "Puisto 1, Tie 1, 61.19, 28.77\nPuisto 2, Tie 2, 61.19\nPuisto 3, Tie 3, abc, 28.77"
    response = client.post(reverse("tasks:template_batch", args=[template.pk]), {"places": places, "confirm": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2" in str(response.context["form"].non_field_errors()) and "3" in page
    assert not Task.objects.exists()


def test_a_template_of_another_department_is_404(client, youth, publisher):
    other = make_user("nuoriso@example.fi", role=roles.PUBLISHER, departments=[youth])
    template = TaskTemplate.objects.create(
        department=youth,
        category=Category.objects.get(slug="litter"),
        name="Nuoret",
        title="X",
        description="X",
        reward_cents=500,
        created_by=other,
    )
    client.force_login(publisher)
    assert client.get(reverse("tasks:template_batch", args=[template.pk])).status_code == 404


# --- Moderation -----------------------------------------------------------------------------------


def _review_task(resident):
    wallet.credit_card_top_up(resident=resident, amount=5000, idempotency_key="t:top")
    task = services.create_task(
        created_by=resident,
        poster=resident,
        now=NOW,
        category=Category.objects.get(slug="neighbour-help"),
        title="Kauppa-apu",
        description="Kannan kassit, maksan käteisellä.",
        address="",
        latitude=None,
        longitude=None,
        reward_cents=800,
        slots=1,
        claim_window_hours=24,
        deadline=NOW + timedelta(days=2),
        photo_count=0,
        before_after=False,
        taken_after_claim=False,
        max_distance_m=None,
    )
    return services.submit_task(task=task, actor=resident, now=NOW)


def test_a_verifier_approves_a_task_in_review_with_a_reason(client, resident, verifier):
    decision = _review_task(resident)
    client.force_login(verifier)
    assert decision in client.get(reverse("tasks:moderation")).context["pending"]
    response = client.post(
        reverse("tasks:moderate", args=[decision.pk]), {"outcome": "allow", "reason": "Maksu eRahana."}
    )
    assert response.status_code == 302
    decision.task.refresh_from_db()
    assert decision.task.status == Task.Status.OPEN
    assert ScreeningOverride.objects.get().actor == verifier


def test_moderation_without_a_reason_is_refused(client, resident, verifier):
    decision = _review_task(resident)
    client.force_login(verifier)
    response = client.post(reverse("tasks:moderate", args=[decision.pk]), {"outcome": "allow", "reason": ""})
    assert response.status_code == 200
    assert not ScreeningOverride.objects.exists()


def test_moderation_is_forbidden_to_residents_publishers_and_cashiers(client, resident, publisher, cashier):
    decision = _review_task(resident)
    for user in (resident, publisher, cashier):
        client.force_login(user)
        assert client.get(reverse("tasks:moderation")).status_code == 403
        assert (
            client.post(reverse("tasks:moderate", args=[decision.pk]), {"outcome": "allow", "reason": "x"}).status_code
            == 403
        )
    assert not ScreeningOverride.objects.exists()


def test_the_poster_sees_the_staff_reason_on_their_task(client, resident, verifier):
    decision = _review_task(resident)
    services.moderate(decision=decision, actor=verifier, outcome="block", reason="Tämä on palvelutyötä.", now=NOW)
    client.force_login(resident)
    page = client.get(reverse("tasks:detail", args=[decision.task_id])).content.decode()
    assert "Tämä on palvelutyötä." in page


def test_the_list_fragment_is_cached_briefly_per_query(client, resident, city_task, settings):
    settings.TASKS_LIST_CACHE_SECONDS = 10
    from django.core.cache import cache

    cache.clear()
    client.force_login(resident)
    client.get(reverse("tasks:list"), {"kind": "city"})
    with CaptureQueriesContext(connection) as cached:
        response = client.get(reverse("tasks:list"), {"kind": "city"})
    assert city_task.title in response.content.decode()
    assert not any('"tasks_task"' in query["sql"] for query in cached.captured_queries)
    cache.clear()


def test_a_template_batch_accepts_an_uploaded_csv_file(client, publisher, parks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fund(parks)
    template = TaskTemplate.objects.create(
        department=parks,
        category=Category.objects.get(slug="litter"),
        name="Roskat",
        title="Roskat: {place}",
        description="Kerää roskat.",
        reward_cents=500,
        created_by=publisher,
    )
    upload = SimpleUploadedFile(
        "paikat.csv", b"nimi;osoite;lat;lon\nKruununpuisto;Kruununpuisto;61,1724;28,7646\n", "text/csv"
    )
    client.force_login(publisher)
    response = client.post(reverse("tasks:template_batch", args=[template.pk]), {"places_file": upload, "confirm": "1"})
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, str(task.latitude)) == ("Roskat: Kruununpuisto", "61.172400")


def test_an_anonymous_visitor_browses_the_list_and_a_task_and_is_asked_to_sign_in(client, city_task):
    assert city_task.title in client.get(reverse("tasks:list")).content.decode()
    page = client.get(reverse("tasks:detail", args=[city_task.pk])).content.decode()
    assert reverse("account_login") in page
    assert reverse("tasks:claim", args=[city_task.pk]) not in page
    assert client.get(reverse("tasks:mine")).status_code == 302
