from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from vouchers import services
from vouchers.models import PartnerToken, Voucher


def test_partner_token_prints_a_working_token_once(swimming_hall):
    out, err = io.StringIO(), io.StringIO()
    call_command("partner_token", swimming_hall.slug, "--name", "Kassa 2", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    token = PartnerToken.objects.get(name="Kassa 2")
    assert services.authenticate_token(raw=raw, now=timezone.now()) == token
    assert raw not in err.getvalue()
    assert token.prefix in err.getvalue()


def test_partner_token_accepts_the_partner_id(swimming_hall):
    out = io.StringIO()
    call_command("partner_token", str(swimming_hall.pk), "--name", "Kassa 3", stdout=out, stderr=io.StringIO())
    assert PartnerToken.objects.filter(partner=swimming_hall, name="Kassa 3").exists()


def test_partner_token_refuses_an_unknown_partner(db):
    with pytest.raises(CommandError):
        call_command("partner_token", "no-such-partner", "--name", "x", stdout=io.StringIO())
    assert not PartnerToken.objects.exists()


@pytest.fixture
def superuser(db):
    from tests.factories import make_user

    return make_user("root@example.fi", is_staff=True, is_superuser=True, mfa=True)


def test_the_admin_creates_a_token_and_shows_it_once(client, superuser, swimming_hall):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:vouchers_partnertoken_add"), {"partner": swimming_hall.pk, "name": "Kioski"}, follow=True
    )
    assert response.status_code == 200
    token = PartnerToken.objects.get(name="Kioski")
    shown = [str(message) for message in response.context["messages"]]
    raw = next(word for message in shown for word in message.split() if word.startswith("erp_"))
    assert services.authenticate_token(raw=raw, now=timezone.now()) == token
    again = client.get(reverse("admin:vouchers_partnertoken_change", args=[token.pk]))
    assert raw not in again.content.decode()


def test_the_admin_revokes_tokens(client, superuser, swimming_hall, hall_token):
    client.force_login(superuser)
    token = PartnerToken.objects.get()
    response = client.post(
        reverse("admin:vouchers_partnertoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert PartnerToken.objects.get().revoked_at is not None
    assert services.authenticate_token(raw=hall_token, now=timezone.now()) is None


def test_the_admin_pages_open(client, superuser, swim, buy):
    voucher = buy(swim)
    client.force_login(superuser)
    for name, args in [
        ("admin:vouchers_partner_changelist", []),
        ("admin:vouchers_partner_change", [swim.partner.pk]),
        ("admin:vouchers_product_changelist", []),
        ("admin:vouchers_voucher_changelist", []),
        ("admin:vouchers_voucher_change", [voucher.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_run_sweeps_closes_expired_vouchers(swim, buy):
    voucher = buy(swim)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    out = io.StringIO()
    call_command("run_sweeps", stdout=out)
    assert "vouchers.services.sweep: 1" in out.getvalue()
    assert Voucher.objects.get(pk=voucher.pk).status == "refunded"


def test_the_demo_seed_is_idempotent(db):
    from django.conf import settings
    from django.utils.module_loading import import_string

    now = timezone.now()
    for _ in range(2):
        for dotted in settings.DEMO_SEEDERS:
            import_string(dotted)(now=now)
    assert Voucher.objects.filter(resident__email="asukas@example.fi").count() == 2
    from vouchers.models import Partner

    hall = Partner.objects.get(slug="imatra-swimming-hall")
    assert list(hall.cashiers.values_list("email", flat=True)) == ["kassa@example.fi"]
    assert hall.products.count() == 2


def test_the_audit_check_finds_a_voucher_without_liability(swim, buy):
    from vouchers.audit import check_vouchers_equal_liability

    voucher = buy(swim)
    assert check_vouchers_equal_liability() == []
    Voucher.objects.filter(pk=voucher.pk).update(price=voucher.price + 1)
    violations = check_vouchers_equal_liability()
    assert len(violations) == 1
    assert violations[0].rows == [{"partner": swim.partner.ledger_key, "issued_unredeemed": 501, "liability": 500}]
    Voucher.objects.filter(pk=voucher.pk).update(price=voucher.price)  # leave the ledger clean for the audit
