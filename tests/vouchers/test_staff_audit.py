"""Partner tokens made or revoked by staff (admin or command line) and admin configuration changes are audited."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.urls import reverse

from people.models import StaffAction
from vouchers.models import PartnerToken, Product


def test_a_token_made_in_the_admin_is_audited_with_the_city_administrator_as_actor(client, city_admin, swimming_hall):
    client.force_login(city_admin)
    client.post(reverse("admin:vouchers_partnertoken_add"), {"partner": swimming_hall.pk, "name": "Kioski"})
    token = PartnerToken.objects.get(name="Kioski")
    created = StaffAction.objects.get(action="partner_token.create")
    assert (created.actor, created.target) == (city_admin, f"partner_token:{token.pk}")
    assert created.details == {"partner": swimming_hall.pk, "name": "Kioski", "prefix": token.prefix}
    assert token.token_hash not in str(created.details)


def test_a_token_made_on_the_command_line_is_audited_without_an_actor(swimming_hall):
    call_command("partner_token", swimming_hall.slug, "--name", "Kassa 2", stdout=io.StringIO(), stderr=io.StringIO())
    assert StaffAction.objects.get(action="partner_token.create").actor is None


def test_revoking_a_token_in_the_admin_is_audited_once(client, city_admin, hall_token):
    token = PartnerToken.objects.get()
    client.force_login(city_admin)
    changelist = reverse("admin:vouchers_partnertoken_changelist")
    for _ in range(2):
        client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    revoked = StaffAction.objects.get(action="partner_token.revoke")
    assert (revoked.actor, revoked.target) == (city_admin, f"partner_token:{token.pk}")


def test_configuration_changes_in_the_admin_are_audited(client, city_admin, swim):
    client.force_login(city_admin)
    url = reverse("admin:vouchers_product_change", args=[swim.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"name_fi": "Uintilippu (alennus)"}
    data = {key: ("on" if value is True else value) for key, value in data.items() if value is not False}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Product.objects.get(pk=swim.pk).name_fi == "Uintilippu (alennus)"
    row = StaffAction.objects.get(action="admin.change")
    assert (row.actor, row.target) == (city_admin, f"vouchers.product:{swim.pk}")
    assert row.details["change"] != []


def test_the_audit_log_is_listed_for_the_city_administrator_only(client, city_admin, publisher, swimming_hall):
    client.force_login(city_admin)
    client.post(reverse("admin:vouchers_partnertoken_add"), {"partner": swimming_hall.pk, "name": "Kioski"})
    page = client.get(reverse("admin:people_staffaction_changelist"))
    assert page.status_code == 200 and "partner_token.create" in page.content.decode()
    publisher.is_staff = True
    publisher.save(update_fields=["is_staff"])
    client.force_login(publisher)
    assert client.get(reverse("admin:people_staffaction_changelist")).status_code == 403
