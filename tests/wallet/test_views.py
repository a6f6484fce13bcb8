"""The resident's wallet pages: balance, statement, sending to a neighbour, transaction detail."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import make_user
from wallet import services
from wallet.ledger import CITY_ISSUANCE, AccountRef, Leg, post_transaction, wallet_ref
from wallet.models import Transaction, TransactionCode


def in_english(user):
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return user


def top_up(user, amount, key="t1"):
    return services.credit_card_top_up(resident=user, amount=amount, idempotency_key=f"{key}:{user.pk}")


def test_the_wallet_needs_a_signed_in_user(client):
    response = client.get(reverse("wallet:home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_wallet_shows_balance_and_statement_in_finnish(client, resident, neighbour):
    top_up(resident, 20_00)
    services.pay_neighbour(
        sender=resident, recipient=neighbour, amount=2_50, memo="Kiitos", idempotency_key="n1", now=timezone.now()
    )
    client.force_login(resident)
    response = client.get(reverse("wallet:home"), HTTP_ACCEPT_LANGUAGE="fi")
    body = response.content.decode()
    assert response.status_code == 200
    assert "17,50 eRaha" in body
    assert "Niilo Naapuri" in body and "Kiitos" in body
    assert "\u22122,50 eRaha" in body


def test_the_header_shows_the_balance(client, resident):
    top_up(resident, 12_50)
    client.force_login(resident)
    body = client.get(reverse("wallet:home")).content.decode()
    assert 'class="balance"' in body and "12,50 eRaha" in body


def test_the_statement_pages_with_a_constant_number_of_queries(client, resident, neighbour):
    top_up(resident, 1_000_00)
    legs_for = lambda i: [Leg(wallet_ref(resident), -1_00), Leg(wallet_ref(neighbour), 1_00)]  # noqa: E731
    for i in range(30):
        post_transaction(code="transfer", legs=legs_for(i), idempotency_key=f"k{i}")
    client.force_login(resident)
    client.get(reverse("wallet:home"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("wallet:home"))
    for i in range(30, 90):
        post_transaction(code="transfer", legs=legs_for(i), idempotency_key=f"k{i}")
    with CaptureQueriesContext(connection) as large:
        first = client.get(reverse("wallet:home"))
    assert len(small) == len(large)
    page = first.context["page"]
    assert len(page.rows) == 25 and page.next_before is not None
    older = client.get(reverse("wallet:home"), {"before": page.next_before})
    versions = [row.entry.account_version for row in older.context["page"].rows]
    assert versions == list(range(page.next_before - 1, page.next_before - 26, -1))


def test_show_older_answers_htmx_with_only_the_rows(client, resident, neighbour):
    top_up(resident, 100_00)
    for i in range(30):
        post_transaction(
            code="transfer",
            legs=[Leg(wallet_ref(resident), -1), Leg(wallet_ref(neighbour), 1)],
            idempotency_key=f"k{i}",
        )
    client.force_login(resident)
    response = client.get(reverse("wallet:home"), {"before": 10}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<h1>" not in body and body.count('class="statement-row"') == 9


def test_sending_shows_the_recipient_name_before_paying(client, resident, neighbour):
    top_up(resident, 20_00)
    client.force_login(resident)
    form = client.get(reverse("wallet:send")).context["form"]
    key = form.initial["idempotency_key"]
    data = {"recipient": "niilo", "amount": "2,50", "memo": "Pullat", "idempotency_key": key}
    response = client.post(reverse("wallet:send"), data)
    assert response.status_code == 200
    assert "Niilo Naapuri" in response.content.decode()
    assert services.wallet_balance(user=neighbour) == 0
    response = client.post(reverse("wallet:send"), {**data, "confirm": "1"})
    assert response.status_code == 302
    assert services.wallet_balance(user=neighbour) == 2_50
    payment = Transaction.objects.get(code=TransactionCode.PAY_NEIGHBOUR)
    assert payment.memo == "Pullat"


def test_a_double_submitted_confirmation_pays_once(client, resident, neighbour):
    top_up(resident, 20_00)
    client.force_login(resident)
    data = {"recipient": "naapuri@example.fi", "amount": "3", "memo": "", "idempotency_key": "abc123", "confirm": "1"}
    assert client.post(reverse("wallet:send"), data).status_code == 302
    assert client.post(reverse("wallet:send"), data).status_code == 302
    assert services.wallet_balance(user=neighbour) == 3_00
    assert Transaction.objects.filter(code=TransactionCode.PAY_NEIGHBOUR).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Enter an amount greater than zero."),
        ("-5", "Enter an amount greater than zero."),
        ("1,234", "at most two decimals"),
        ("abc", "at most two decimals"),
        ("", "This field is required."),
    ],
)
def test_bad_amounts_are_refused_with_a_message(client, resident, neighbour, amount, message):
    top_up(resident, 20_00)
    client.force_login(in_english(resident))
    with translation.override("en"):
        response = client.post(
            reverse("wallet:send"),
            {"recipient": "niilo", "amount": amount, "idempotency_key": "k1", "confirm": "1"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert services.wallet_balance(user=neighbour) == 0


def test_paying_yourself_an_unknown_or_an_inactive_recipient_is_refused(client, resident, neighbour):
    top_up(resident, 20_00)
    neighbour.is_active = False
    neighbour.save(update_fields=["is_active"])
    client.force_login(in_english(resident))
    for recipient in ("aino", "nobody@example.fi", "niilo"):
        response = client.post(
            reverse("wallet:send"),
            {"recipient": recipient, "amount": "1", "idempotency_key": "k1", "confirm": "1"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
    assert Transaction.objects.filter(code=TransactionCode.PAY_NEIGHBOUR).count() == 0


def test_insufficient_funds_and_the_limit_show_a_translated_message(client, resident, neighbour, settings):
    settings.WALLET_NEIGHBOUR_DAILY_LIMIT = 5_00
    top_up(resident, 3_00)
    client.force_login(resident)
    data = {"recipient": "niilo", "amount": "4", "idempotency_key": "k1", "confirm": "1"}
    response = client.post(reverse("wallet:send"), data, HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 400
    top_up(resident, 10_00, key="t2")
    in_english(resident)
    response = client.post(reverse("wallet:send"), {**data, "amount": "6"})
    assert response.status_code == 400 and "sending limit" in response.content.decode()
    assert services.wallet_balance(user=neighbour) == 0


def test_a_resident_sees_their_own_transaction_but_not_others(client, resident, neighbour):
    own = top_up(resident, 5_00)
    other = top_up(neighbour, 5_00)
    client.force_login(resident)
    assert client.get(reverse("wallet:transaction", args=[own.pk])).status_code == 200
    assert client.get(reverse("wallet:transaction", args=[other.pk])).status_code == 404


def test_pending_shows_escrow_reserved_for_own_tasks(client, resident):
    top_up(resident, 10_00)
    services.fund_task_escrow(task_key="task:5", amount=4_00, idempotency_key="e1", poster=resident)
    client.force_login(in_english(resident))
    body = client.get(reverse("wallet:home")).content.decode()
    assert "Reserved for your tasks" in body and "4.00 eRaha" in body


def test_money_filters_use_the_language_number_format(db):
    from wallet.money import format_eraha, to_cents

    with translation.override("fi"):
        assert format_eraha(1250) == "12,50 eRaha"
        assert format_eraha(123456789) == "1\xa0234\xa0567,89 eRaha"
    with translation.override("en"):
        assert format_eraha(1250) == "12.50 eRaha"
    assert to_cents("12,50") == 1250 and to_cents("3") == 300


def test_an_issuance_label_is_shown_for_city_money(client, resident, city_admin, parks):
    services.fund_department(department=parks, amount=5_00, actor=city_admin, idempotency_key="f")
    post_transaction(
        code="transfer", legs=[Leg(CITY_ISSUANCE, -1_00), Leg(wallet_ref(resident), 1_00)], idempotency_key="g"
    )
    client.force_login(in_english(resident))
    assert "Imatra" in client.get(reverse("wallet:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert AccountRef("wallet", f"user:{make_user().pk}")


def test_the_first_step_already_refuses_an_amount_over_the_balance_or_the_limit(client, resident, neighbour, settings):
    settings.WALLET_NEIGHBOUR_DAILY_LIMIT = 5_00
    top_up(resident, 8_00)
    client.force_login(in_english(resident))
    data = {"recipient": "niilo", "idempotency_key": "k1"}
    response = client.post(reverse("wallet:send"), {**data, "amount": "9"})
    assert response.status_code == 400 and "not enough eRaha" in response.content.decode()
    response = client.post(reverse("wallet:send"), {**data, "amount": "6"})
    assert response.status_code == 400 and "sending limit" in response.content.decode()
    assert client.post(reverse("wallet:send"), {**data, "amount": "5"}).status_code == 200
