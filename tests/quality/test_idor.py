"""IDOR: every object URL, asked for someone else's object, answers 404 (403 where the design says so) and
writes nothing. The objects belong to the resident (asukas), the parks department or the swimming hall."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from people import roles
from tests.factories import make_user
from tests.quality.world import build_world, snapshot


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def other_department_objects():
    """A city task and a template of a department the publisher (parks) does not belong to."""
    from tasks.models import Task, TaskTemplate

    task = (
        Task.objects.filter(status=Task.Status.OPEN, department__isnull=False)
        .exclude(department__slug="parks")
        .order_by("pk")
        .first()
    )
    template = TaskTemplate.objects.filter(department__slug="parks").order_by("pk").first()
    template.pk = None
    template.department = task.department
    template.save()
    return task, template


def bus_voucher(owner):
    """A voucher of a partner the swimming-hall cashier does not work for."""
    from vouchers import services
    from vouchers.models import Product

    product = Product.objects.filter(active=True).exclude(partner__cashiers__email="kassa@example.fi").first()
    from wallet.services import credit_card_top_up

    credit_card_top_up(resident=owner, amount=product.price * 2, idempotency_key="idor:bus:money")
    return services.buy_voucher(resident=owner, product=product, idempotency_key="idor:bus", now=timezone.now())


@pytest.mark.django_db
def test_a_resident_gets_404_for_every_object_url_of_another_resident_and_nothing_is_written(settings):
    world = build_world(settings)
    objects = world.objects
    neighbour = signed_in(world.users["neighbour"])
    gets = [
        reverse("verification:submit", args=[objects["claim"].pk]),
        reverse("verification:proof", args=[objects["proof"].pk]),
        reverse("verification:photo", args=[objects["photo"].pk, "display"]),
        reverse("verification:photo", args=[objects["photo"].pk, "thumb"]),
        reverse("vouchers:detail", args=[objects["voucher"].code]),
        reverse("wallet:transaction", args=[objects["transaction"].pk]),
        reverse("payments:status", args=[objects["top_up"].pk]),
        reverse("payments:cancelled", args=[objects["top_up"].pk]),
    ]
    posts = [
        (reverse("tasks:give_up", args=[objects["claim"].pk]), {}),
        (reverse("verification:submit", args=[objects["claim"].pk]), {"note": "mine now"}),
        (reverse("verification:appeal", args=[objects["proof"].pk]), {"message": "x"}),
        (reverse("verification:dispute", args=[objects["proof"].pk]), {"message": "x"}),
        (reverse("verification:poster_decision", args=[objects["proof"].pk]), {"approve": "1"}),
        (reverse("notifications:mark_read", args=[objects["notification"].pk]), {}),
        (reverse("tasks:edit", args=[objects["peer_task"].pk]), {"title": "Taken over"}),
        (reverse("tasks:cancel", args=[objects["peer_task"].pk]), {}),
    ]
    before = snapshot()

    answers = {url: neighbour.get(url).status_code for url in gets}
    answers |= {f"POST {url}": neighbour.post(url, data).status_code for url, data in posts}

    expected = dict.fromkeys(answers, 404)
    # A peer task is public, so editing or cancelling another resident's task is a refusal, not a secret.
    expected[f"POST {reverse('tasks:edit', args=[objects['peer_task'].pk])}"] = 403
    expected[f"POST {reverse('tasks:cancel', args=[objects['peer_task'].pk])}"] = 403
    assert answers == expected
    assert snapshot() == before


@pytest.mark.django_db
def test_a_publisher_cannot_edit_or_use_another_departments_task_or_template(settings):
    world = build_world(settings)
    task, template = other_department_objects()
    publisher = signed_in(world.users["publisher"])
    before = snapshot()

    answers = {
        "edit task": publisher.get(reverse("tasks:edit", args=[task.pk])).status_code,
        "post edit task": publisher.post(reverse("tasks:edit", args=[task.pk]), {"title": "x"}).status_code,
        "cancel task": publisher.post(reverse("tasks:cancel", args=[task.pk])).status_code,
        "edit template": publisher.get(reverse("tasks:template_edit", args=[template.pk])).status_code,
        "post template": publisher.post(reverse("tasks:template_edit", args=[template.pk]), {"name": "x"}).status_code,
        "batch": publisher.get(reverse("tasks:template_batch", args=[template.pk])).status_code,
        "post batch": publisher.post(reverse("tasks:template_batch", args=[template.pk]), {"places": "x"}).status_code,
    }

    # City tasks are public, so touching another department's task is a refusal (403); templates are the
    # department's own working material, so another department's template does not exist for them (404).
    assert answers == {
        "edit task": 403,
        "post edit task": 403,
        "cancel task": 403,
        "edit template": 404,
        "post template": 404,
        "batch": 404,
        "post batch": 404,
    }
    assert snapshot() == before


@pytest.mark.django_db
def test_a_verifier_of_another_department_cannot_open_or_decide_a_proof(settings):
    world = build_world(settings)
    from people.models import Department

    youth = Department.objects.get(slug="youth")
    only_youth = signed_in(make_user("nuoriso@example.fi", role=roles.VERIFIER, departments=[youth]))
    proof = world.objects["queued_proof"]
    before = snapshot()

    opened = only_youth.get(reverse("verification:queue_proof", args=[proof.pk]))
    decided = only_youth.post(reverse("verification:decide", args=[proof.pk]), {"action": "approve"})

    assert (opened.status_code, decided.status_code) == (404, 404)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_cashier_cannot_see_or_redeem_another_partners_voucher_at_the_desk_or_through_the_api(settings):
    from vouchers.access import get_desk_partners
    from vouchers.models import Voucher
    from vouchers.services import create_partner_token

    world = build_world(settings)
    voucher = bus_voucher(world.users["neighbour"])
    cashier = world.users["cashier"]
    _, raw_token = create_partner_token(partner=get_desk_partners(cashier)[0], name="Desk 9", actor=None)
    desk = signed_in(cashier)
    api = Client(headers={"Authorization": f"Bearer {raw_token}"})
    before = snapshot()

    at_desk = desk.post(reverse("vouchers:redeem"), {"code": voucher.code, "idempotency_key": "idor-desk-1"})
    looked_up = api.get(reverse("vouchers:api_lookup", args=[voucher.code]))
    redeemed = api.post(
        reverse("vouchers:api_redeem"),
        json.dumps({"code": voucher.code}),
        content_type="application/json",
        headers={"Idempotency-Key": "idor-api-1"},
    )

    assert at_desk.status_code == 400
    assert at_desk.context["result"]["code"] == "other_partner"
    assert (looked_up.status_code, looked_up.json()["error"]) == (403, "other_partner")
    assert (redeemed.status_code, redeemed.json()["error"]) == (403, "other_partner")
    assert Voucher.objects.get(pk=voucher.pk).status == voucher.status
    after = snapshot()
    # The API touches last_used_at on the token it authenticated; nothing else may change.
    after.pop("vouchers.PartnerToken"), before.pop("vouchers.PartnerToken")
    assert after == before
