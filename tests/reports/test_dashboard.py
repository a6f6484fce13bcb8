from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from tests.reports.conftest import LATER, RANGE
from wallet.audit import summary
from wallet.models import Entry

URL = "/staff/dashboard/"


def table(response, key):
    return response.context["tables"][key]


def row(tbl, label):
    return next(r for r in tbl.rows if str(r[0]) == str(label))


def independent_balances() -> dict[str, int]:
    totals: dict[str, int] = {}
    for kind, amount in Entry.objects.values_list("account__kind", "amount"):
        totals[kind] = totals.get(kind, 0) + amount
    return totals


@pytest.fixture
def admin_page(client, city, city_admin):
    city_admin.preferred_language = "en"
    city_admin.save(update_fields=["preferred_language"])
    client.force_login(city_admin)
    with time_machine.travel(LATER, tick=False):
        response = client.get(URL, RANGE)
    assert response.status_code == 200
    return response


def test_the_url_is_named_and_mapped():
    assert reverse("reports:dashboard") == URL


def test_liabilities_equal_independent_sums_over_the_entries_and_the_audit_summary(admin_page):
    liabilities = table(admin_page, "liabilities")
    sums = independent_balances()
    per_kind = summary()["per_kind"]
    expected = {
        "eRaha in resident wallets": "wallet",
        "eRaha reserved in task escrow": "escrow",
        "Unredeemed vouchers (eRaha paid)": "voucher_liability",
        "Left in department budgets": "budget",
    }
    for label, kind in expected.items():
        value = row(liabilities, label)[1]
        assert value == sums.get(kind, 0) == ((per_kind.get(kind) or {}).get("balance") or 0)
    # Known figures: wallets 5,00 reward + 2 × 10,00 top-up; escrow 10,00 left of parks + 7,00 of youth.
    assert row(liabilities, "eRaha in resident wallets")[1] == 2500
    assert row(liabilities, "eRaha reserved in task escrow")[1] == 1700
    assert row(liabilities, "Bought with cards")[1] == 2000
    assert row(liabilities, "Issued by the city")[1] == 2200


def test_department_budgets_show_funded_reserved_used_and_left(admin_page):
    budgets = table(admin_page, "budgets")
    assert row(budgets, "Parks")[1:] == [1500, 1000, 500, 0]
    assert row(budgets, "Youth")[1:] == [700, 700, 0, 0]


def test_activity_counts_tasks_completions_and_earnings_in_the_period(admin_page):
    activity = table(admin_page, "activity")
    day = row(activity, "2026-06-01")
    assert day[1:4] == [2, 1, 500]
    assert sum(r[1] for r in activity.rows) == 2
    assert len(activity.rows) == 27  # one row a day, 15.5.–10.6.
    assert admin_page.content.count(b"<svg") == 2
    assert b'role="img"' in admin_page.content


def test_verification_cost_counts_the_human_seconds(admin_page):
    cost = table(admin_page, "verification")
    assert row(cost, "Decisions made by a verifier")[1] == 1
    assert row(cost, "Decisions made automatically")[1] == 0
    assert row(cost, "Verifier seconds in total")[1] == 40
    assert row(cost, "Median verifier seconds per decision")[1] == 40.0
    assert row(cost, "Verifier seconds per completed task")[1] == 40.0
    assert row(cost, "Proofs waiting in the queue now")[1] == 0


def test_integrity_lists_residents_who_pay_each_other_back_and_forth(admin_page):
    pairs = table(admin_page, "mutual_payments").rows
    assert len(pairs) == 1
    names = " ".join(str(cell) for cell in pairs[0][:2])
    assert "Aino Asukas" in names and "Niilo Naapuri" in names
    assert sorted(pairs[0][2:4]) == [2, 2]
    assert pairs[0][4] == 300


def test_the_dashboard_makes_a_fixed_number_of_queries(client, city, city_admin, django_assert_max_num_queries):
    client.force_login(city_admin)
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(40):
        assert client.get(URL, RANGE).status_code == 200


def test_a_publisher_sees_only_their_own_departments(client, city, publisher):
    client.force_login(publisher)
    with time_machine.travel(LATER, tick=False):
        response = client.get(URL, RANGE)
    assert response.status_code == 200
    assert [r[0] for r in table(response, "budgets").rows] == ["Puistot"]
    assert set(response.context["tables"]) >= {"budgets", "activity", "verification", "screening"}
    assert not {"liabilities", "partners", "mutual_payments", "unusual_earners"} & set(response.context["tables"])
    assert sum(r[1] for r in table(response, "activity").rows) == 1
    assert b"Nuoriso" not in response.content and b"Youth secret task" not in response.content


def test_a_publisher_asking_for_another_department_gets_404(client, city, publisher):
    client.force_login(publisher)
    assert client.get(URL, {**RANGE, "department": "youth"}).status_code == 404
    assert client.get(reverse("reports:dashboard_csv", args=["budgets"]), {"department": "youth"}).status_code == 404


def test_an_unknown_department_is_404_for_an_administrator(client, city_admin):
    client.force_login(city_admin)
    assert client.get(URL, {"department": "nope"}).status_code == 404


def test_an_administrator_can_narrow_to_one_department(client, city, city_admin):
    client.force_login(city_admin)
    with time_machine.travel(LATER, tick=False):
        response = client.get(URL, {**RANGE, "department": "youth"})
    assert [r[0] for r in table(response, "budgets").rows] == ["Nuoriso"]
    assert "liabilities" not in response.context["tables"]


def test_a_resident_gets_403_and_an_anonymous_visitor_is_sent_to_sign_in(client, resident):
    assert client.get(URL).status_code == 302
    client.force_login(resident)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("reports:dashboard_csv", args=["budgets"])).status_code == 403


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-06-10", "end": "2026-06-01"}, "The start date must be on or before the end date."),
        ({"start": "2020-01-01", "end": "2026-06-01"}, "Choose at most 1098 days at a time."),
        ({"start": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_ranges_get_a_clear_message(client, city_admin, params, message):
    city_admin.preferred_language = "en"
    city_admin.save(update_fields=["preferred_language"])
    client.force_login(city_admin)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "tables" not in response.context


def test_every_table_downloads_as_csv_with_a_bom_and_semicolons(client, city, city_admin):
    client.force_login(city_admin)
    with time_machine.travel(LATER, tick=False):
        keys = list(client.get(URL, RANGE).context["tables"])
        assert len(keys) == 12
        for key in keys:
            response = client.get(reverse("reports:dashboard_csv", args=[key]), RANGE)
            assert response.status_code == 200
            assert response["Content-Type"] == "text/csv; charset=utf-8"
            assert response.content.startswith(b"\xef\xbb\xbf")
        budgets = client.get(reverse("reports:dashboard_csv", args=["budgets"]), RANGE)
    rows = list(csv.reader(io.StringIO(budgets.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Toimiala", "Rahoitettu", "Varattu avoimiin tehtäviin", "Käytetty", "Jäljellä"]
    assert ["Puistot", "15,00", "10,00", "5,00", "0,00"] in rows
    assert 'filename="eraha-budgets-2026-05-15-2026-06-10.csv"' in budgets["Content-Disposition"]


def test_an_unknown_csv_table_is_404(client, city_admin):
    client.force_login(city_admin)
    assert client.get(reverse("reports:dashboard_csv", args=["nope"])).status_code == 404


def test_a_publisher_cannot_download_city_wide_tables_or_other_departments_rows(client, city, publisher):
    client.force_login(publisher)
    with time_machine.travel(LATER, tick=False):
        for key in ("liabilities", "partners", "mutual_payments", "unusual_earners"):
            assert client.get(reverse("reports:dashboard_csv", args=[key]), RANGE).status_code == 404
        budgets = client.get(reverse("reports:dashboard_csv", args=["budgets"]), RANGE)
    text = budgets.content.decode("utf-8-sig")
    assert "Puistot" in text and "Nuoriso" not in text
