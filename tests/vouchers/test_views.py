from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_user
from tests.vouchers.conftest import make_product, top_up
from vouchers import services
from vouchers.models import Voucher

HELSINKI = ZoneInfo("Europe/Helsinki")


def non_field_codes(response) -> list[str]:
    return [error.code for error in response.context["form"].errors.as_data().get("__all__", [])]


def wallet(user) -> int:
    from wallet.services import wallet_balance

    return wallet_balance(user=user)


# --- Resident pages -------------------------------------------------------------------------------


def test_the_list_shows_price_and_balance_after_purchase(client, funded_resident, swim, bus_trip):
    client.force_login(funded_resident)
    response = client.get(reverse("vouchers:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Uintikerta" in page and "Kertalippu" in page
    assert reverse("vouchers:buy", args=[swim.pk]) in page
    items = {item["product"].pk: item for item in response.context["products"]}
    assert items[swim.pk]["balance_after"] == 50_00 - 500


def test_the_list_runs_a_constant_number_of_queries(client, funded_resident, swimming_hall, bus_trip):
    client.force_login(funded_resident)
    client.get(reverse("vouchers:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("vouchers:list"))
    for number in range(5):
        make_product(swimming_hall, name_fi=f"Tuote {number}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("vouchers:list"))
    assert len(many) == len(few)


def test_the_list_hides_the_buy_button_when_the_resident_cannot_afford_it(client, resident, swim):
    top_up(resident, 100)
    client.force_login(resident)
    page = client.get(reverse("vouchers:list")).content.decode()
    assert reverse("vouchers:buy", args=[swim.pk]) not in page


def test_anonymous_visitors_are_sent_to_sign_in(client, swim):
    response = client.get(reverse("vouchers:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_confirmation_page_shows_the_balance_after_purchase_and_a_key(client, funded_resident, swim):
    client.force_login(funded_resident)
    response = client.get(reverse("vouchers:buy", args=[swim.pk]))
    assert response.status_code == 200
    assert response.context["balance_after"] == 50_00 - 500
    assert len(response.context["form"].initial["idempotency_key"]) == 32
    assert Voucher.objects.count() == 0


def test_confirming_buys_the_voucher_and_shows_its_qr(client, funded_resident, swim):
    client.force_login(funded_resident)
    response = client.post(reverse("vouchers:buy", args=[swim.pk]), {"idempotency_key": "a" * 32})
    voucher = Voucher.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("vouchers:detail", args=[voucher.code])
    assert wallet(funded_resident) == 50_00 - 500
    page = client.get(response["Location"])
    assert b'<svg class="qr"' in page.content
    assert voucher.display_code in page.content.decode()
    assert page["Cache-Control"] == "private, max-age=86400"
    assert b"<script" not in page.content


def test_a_double_submit_buys_once(client, funded_resident, swim):
    client.force_login(funded_resident)
    for _ in range(2):
        response = client.post(reverse("vouchers:buy", args=[swim.pk]), {"idempotency_key": "a" * 32})
        assert response.status_code == 302
    assert Voucher.objects.count() == 1
    assert wallet(funded_resident) == 50_00 - 500


def test_buying_without_enough_eraha_says_so_and_writes_nothing(client, resident, swim):
    top_up(resident, 100)
    client.force_login(resident)
    response = client.post(reverse("vouchers:buy", args=[swim.pk]), {"idempotency_key": "a" * 32})
    assert response.status_code == 400
    assert non_field_codes(response) == ["insufficient_funds"]
    assert Voucher.objects.count() == 0
    assert wallet(resident) == 100


def test_buying_an_inactive_product_says_it_is_not_on_sale(client, funded_resident, swim):
    swim.active = False
    swim.save(update_fields=["active"])
    client.force_login(funded_resident)
    response = client.post(reverse("vouchers:buy", args=[swim.pk]), {"idempotency_key": "a" * 32})
    assert response.status_code == 400
    assert non_field_codes(response) == ["not_on_sale"]
    assert Voucher.objects.count() == 0


def test_buying_over_the_monthly_limit_says_so(client, funded_resident, swimming_hall):
    product = make_product(swimming_hall, monthly_limit=1)
    client.force_login(funded_resident)
    client.post(reverse("vouchers:buy", args=[product.pk]), {"idempotency_key": "a" * 32})
    response = client.post(reverse("vouchers:buy", args=[product.pk]), {"idempotency_key": "b" * 32})
    assert response.status_code == 400
    assert non_field_codes(response) == ["monthly_limit"]
    assert Voucher.objects.count() == 1


def test_a_purchase_without_a_key_is_refused(client, funded_resident, swim):
    client.force_login(funded_resident)
    response = client.post(reverse("vouchers:buy", args=[swim.pk]), {})
    assert response.status_code == 400
    assert Voucher.objects.count() == 0


def test_an_unknown_product_is_404(client, funded_resident):
    client.force_login(funded_resident)
    assert client.get(reverse("vouchers:buy", args=[999])).status_code == 404


def test_another_residents_voucher_is_404(client, neighbour, swim, buy):
    voucher = buy(swim)
    client.force_login(neighbour)
    assert client.get(reverse("vouchers:detail", args=[voucher.code])).status_code == 404


def test_my_vouchers_lists_valid_used_and_expired(client, funded_resident, swimming_hall, swim, buy):
    valid, used, expired = buy(swim), buy(swim), buy(swim)
    services.redeem_voucher(code=used.code, partner=swimming_hall, idempotency_key="r", now=timezone.now(), where="x")
    Voucher.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client.force_login(funded_resident)
    response = client.get(reverse("vouchers:mine"))
    grouped = response.context["grouped"]
    assert [v.pk for v in grouped.valid] == [valid.pk]
    assert [v.pk for v in grouped.used] == [used.pk]
    assert [v.pk for v in grouped.expired] == [expired.pk]


def test_the_qr_page_of_a_used_voucher_says_when_it_was_used_and_shows_no_qr(
    client, funded_resident, swimming_hall, swim, buy
):
    voucher = buy(swim)
    services.redeem_voucher(
        code=voucher.code, partner=swimming_hall, idempotency_key="r", now=timezone.now(), where="x"
    )
    client.force_login(funded_resident)
    response = client.get(reverse("vouchers:detail", args=[voucher.code]))
    assert response.context["state"] == "used"
    assert b'<svg class="qr"' not in response.content


# --- Desk -----------------------------------------------------------------------------------------


def desk_post(client, code, key="k" * 16):
    return client.post(reverse("vouchers:redeem"), {"code": code, "idempotency_key": key})


def test_the_desk_page_shows_the_form_and_todays_redemptions(client, desk_cashier, swimming_hall, swim, buy):
    voucher = buy(swim)
    services.redeem_voucher(
        code=voucher.code, partner=swimming_hall, idempotency_key="r", now=timezone.now(), where="x"
    )
    client.force_login(desk_cashier)
    response = client.get(reverse("vouchers:redeem"))
    assert response.status_code == 200
    assert [v.pk for v in response.context["today"]] == [voucher.pk]
    assert b"vendor/jsQR.js" in response.content


def test_the_cashier_redeems_a_typed_code_and_a_second_scan_says_when_and_where(
    client, desk_cashier, swimming_hall, swim, buy
):
    voucher = buy(swim)
    client.force_login(desk_cashier)
    response = desk_post(client, voucher.display_code.lower())
    assert response.status_code == 200
    assert response.context["result"]["code"] == "redeemed"
    assert "Uintikerta" in response.content.decode()
    voucher.refresh_from_db()
    assert (voucher.status, voucher.redeemed_by) == ("redeemed", desk_cashier)

    again = desk_post(client, voucher.code, key="l" * 16)
    assert again.status_code == 409
    assert again.context["result"]["code"] == "already_redeemed"
    assert swimming_hall.name in again.context["result"]["detail"]
    assert Voucher.objects.filter(status="redeemed").count() == 1


def test_the_desk_says_expired(client, desk_cashier, swim, buy):
    voucher = buy(swim)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    client.force_login(desk_cashier)
    response = desk_post(client, voucher.code)
    assert response.status_code == 400
    assert response.context["result"]["code"] == "expired"
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_the_desk_refuses_another_partners_voucher(client, desk_cashier, bus_trip, buy):
    voucher = buy(bus_trip)
    client.force_login(desk_cashier)
    response = desk_post(client, voucher.code)
    assert response.status_code == 400
    assert "Imatran kaupunkiliikenne" in response.context["result"]["detail"]
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_the_desk_catches_a_typo(client, desk_cashier, swim, buy):
    voucher = buy(swim)
    replacement = "2" if voucher.code[0] != "2" else "3"
    client.force_login(desk_cashier)
    response = desk_post(client, replacement + voucher.code[1:])
    assert response.status_code == 400
    assert response.context["result"]["code"] == "check"
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_the_desk_answers_htmx_with_the_panel_only(client, desk_cashier, swim, buy):
    voucher = buy(swim)
    client.force_login(desk_cashier)
    response = client.post(
        reverse("vouchers:redeem"), {"code": voucher.code, "idempotency_key": "k" * 16}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.decode().startswith('<div id="desk-panel">')
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"


def test_the_desk_rate_limits_each_cashier(client, settings, desk_cashier, swim, buy):
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_api": (100, 60), "desk_lookups": (2, 60)}
    voucher = buy(swim)
    client.force_login(desk_cashier)
    from vouchers import codes

    for _ in range(2):
        desk_post(client, codes.generate_code())
    response = desk_post(client, voucher.code)
    assert response.context["result"]["code"] == "rate_limited"
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_a_resident_cannot_open_the_desk(client, resident):
    client.force_login(resident)
    assert client.get(reverse("vouchers:redeem")).status_code == 403


def test_a_cashier_of_no_partner_cannot_open_the_desk(client, cashier, swimming_hall):
    client.force_login(cashier)
    assert client.get(reverse("vouchers:redeem")).status_code == 403


def test_a_cashier_cannot_open_another_partners_desk(client, desk_cashier, bus):
    client.force_login(desk_cashier)
    assert client.get(reverse("vouchers:redeem"), {"partner": bus.slug}).status_code == 404


def test_a_partner_link_without_the_cashier_role_is_not_enough(client, resident, swimming_hall):
    swimming_hall.cashiers.add(resident)
    client.force_login(resident)
    assert client.get(reverse("vouchers:redeem")).status_code == 403


# --- Settlement -----------------------------------------------------------------------------------


@pytest.fixture
def march_redemptions(swimming_hall, bus, swim, bus_trip, buy):
    """Two swims in March 2026 (one at 23:30 on 31 March local time), one in April, one bus trip in March."""
    moments = [
        (swim, datetime(2026, 3, 2, 10, 0, tzinfo=HELSINKI)),
        (swim, datetime(2026, 3, 31, 23, 30, tzinfo=HELSINKI)),
        (swim, datetime(2026, 4, 1, 0, 30, tzinfo=HELSINKI)),
        (bus_trip, datetime(2026, 3, 10, 8, 0, tzinfo=HELSINKI)),
    ]
    vouchers = []
    for number, (product, moment) in enumerate(moments):
        voucher = buy(product, now=moment - timedelta(days=1))
        services.redeem_voucher(
            code=voucher.code, partner=product.partner, idempotency_key=f"s{number}", now=moment, where="Kassa 1"
        )
        vouchers.append(voucher)
    return vouchers


def test_the_city_administrator_sees_any_partners_month(client, city_admin, swimming_hall, march_redemptions):
    client.force_login(city_admin)
    response = client.get(reverse("vouchers:settlement"), {"partner": swimming_hall.slug, "month": "2026-03"})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.count, report.total_face_value) == (2, 1200)
    assert [v.pk for v in report.vouchers] == [v.pk for v in march_redemptions[:2]]


def test_the_settlement_csv_adds_up(client, city_admin, swimming_hall, march_redemptions):
    client.force_login(city_admin)
    response = client.get(reverse("vouchers:settlement_csv"), {"partner": swimming_hall.slug, "month": "2026-03"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "settlement-uimahalli-2026-03.csv" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["code", "product", "redeemed_at", "redeemed_where", "face_value_eur"]
    lines, total = rows[1:-1], rows[-1]
    assert [row[0] for row in lines] == [v.code for v in march_redemptions[:2]]
    assert sum(int(row[4].replace(".", "")) for row in lines) == 1200
    assert total[0] == "TOTAL" and total[4] == "12.00"
    assert lines[1][2] == "2026-03-31T23:30:00+03:00"


def test_a_cashier_sees_the_own_partners_settlement(client, desk_cashier, march_redemptions):
    client.force_login(desk_cashier)
    with time_machine.travel(datetime(2026, 3, 15, 12, 0, tzinfo=HELSINKI), tick=False):
        response = client.get(reverse("vouchers:settlement"))
    assert response.status_code == 200
    assert response.context["partner"].slug == "uimahalli"
    assert response.context["report"].count == 2


def test_a_cashier_cannot_see_another_partners_settlement(client, desk_cashier, bus, march_redemptions):
    client.force_login(desk_cashier)
    assert client.get(reverse("vouchers:settlement"), {"partner": bus.slug}).status_code == 404
    assert client.get(reverse("vouchers:settlement_csv"), {"partner": bus.slug}).status_code == 404


def test_a_resident_cannot_see_settlements(client, resident, swimming_hall):
    client.force_login(resident)
    assert client.get(reverse("vouchers:settlement")).status_code == 403
    assert client.get(reverse("vouchers:settlement_csv")).status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "March", "26-03", "1999-01"])
def test_a_bad_month_is_refused(client, city_admin, swimming_hall, month):
    client.force_login(city_admin)
    response = client.get(reverse("vouchers:settlement"), {"partner": swimming_hall.slug, "month": month})
    assert response.status_code == 400
    assert client.get(reverse("vouchers:settlement_csv"), {"month": month}).status_code == 400


def test_the_settlement_page_runs_a_constant_number_of_queries(client, city_admin, swimming_hall, swim, buy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(city_admin)
    now = timezone.now()
    month = timezone.localtime(now).strftime("%Y-%m")
    url = reverse("vouchers:settlement")
    voucher = buy(swim)
    services.redeem_voucher(code=voucher.code, partner=swimming_hall, idempotency_key="a", now=now, where="x")
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"partner": swimming_hall.slug, "month": month})
    for number in range(4):
        voucher = buy(swim)
        services.redeem_voucher(
            code=voucher.code, partner=swimming_hall, idempotency_key=f"b{number}", now=now, where="x"
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"partner": swimming_hall.slug, "month": month})
    assert len(many) == len(few)


def test_an_outsider_user_gets_404_for_a_voucher_code_that_does_not_exist(client, db):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("vouchers:detail", args=["ABCDE23456"])).status_code == 404


def test_lapsed_vouchers_are_counted_but_not_owed(client, city_admin, swimming_hall, swim, buy):
    from vouchers.models import Partner

    swimming_hall.expiry_policy = Partner.ExpiryPolicy.LAPSE
    swimming_hall.save(update_fields=["expiry_policy"])
    lapsing, used = buy(swim), buy(swim)
    now = timezone.now()
    services.redeem_voucher(code=used.code, partner=swimming_hall, idempotency_key="u", now=now, where="x")
    services.sweep(now=lapsing.expires_at)
    client.force_login(city_admin)
    month = timezone.localtime(lapsing.expires_at).strftime("%Y-%m")
    report = client.get(reverse("vouchers:settlement"), {"partner": swimming_hall.slug, "month": month}).context[
        "report"
    ]
    assert report.lapsed_count == 1
    assert Voucher.objects.get(pk=lapsing.pk).status == "lapsed"
    this_month = client.get(
        reverse("vouchers:settlement"),
        {"partner": swimming_hall.slug, "month": timezone.localtime(now).strftime("%Y-%m")},
    ).context["report"]
    assert (this_month.count, this_month.total_face_value) == (1, 600)
