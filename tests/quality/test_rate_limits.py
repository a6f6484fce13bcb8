"""Rate limits: sign-in (allauth), claims, proof uploads, neighbour payments, top-ups and the partner API.

Each limit is per user (per token for the API), set in settings.RATE_LIMITS; over it the page answers 429 with
a translated message and Retry-After, the API 429 JSON, and nothing is written.
"""

from __future__ import annotations

import json

import pytest
import time_machine
from django.urls import reverse

from tasks import services as task_services
from tasks.models import Claim
from tests.factories import PASSWORD
from tests.quality.world import enable_top_ups
from tests.tasks.conftest import NOW, make_open_task
from verification.models import Proof
from wallet import services as wallet
from wallet.models import Transaction, TransactionCode

pytestmark = pytest.mark.django_db


def limit(settings, scope: str, count: int, seconds: int = 600) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (count, seconds)}


def assert_refused_politely(response, window: int = 600) -> None:
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= window
    assert "Liian monta yritystä" in response.content.decode()  # Finnish, the default language


def test_sign_in_is_locked_after_five_failed_attempts_for_the_same_address(client, resident):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": resident.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": resident.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_a_resident_over_the_claim_limit_is_refused_and_no_claim_is_made(
    client, settings, resident, neighbour, parks, publisher
):
    limit(settings, "claims", 1)
    first = make_open_task(department=parks, created_by=publisher)
    second = make_open_task(department=parks, created_by=publisher, title="Toinen")
    client.force_login(resident)
    with time_machine.travel(NOW, tick=False):
        assert client.post(reverse("tasks:claim", args=[first.pk])).status_code == 302
        assert_refused_politely(client.post(reverse("tasks:claim", args=[second.pk])))
        client.force_login(neighbour)  # the limit is per user
        assert client.post(reverse("tasks:claim", args=[second.pk])).status_code == 302
    assert sorted(Claim.objects.values_list("task_id", "resident_id")) == [
        (first.pk, resident.pk),
        (second.pk, neighbour.pk),
    ]


def test_a_resident_over_the_upload_limit_is_refused_and_no_proof_is_stored(
    client, settings, resident, parks, publisher
):
    limit(settings, "proof_uploads", 1)
    task = make_open_task(department=parks, created_by=publisher)
    with time_machine.travel(NOW, tick=False):
        claim = task_services.claim_task(task=task, resident=resident, now=NOW)
        client.force_login(resident)
        url = reverse("verification:submit", args=[claim.pk])
        assert client.get(url).status_code == 200  # looking at the form is not counted
        assert client.post(url, {"note": "x"}).status_code == 400
        assert_refused_politely(client.post(url, {"note": "x"}))
    assert not Proof.objects.exists()


def test_a_resident_over_the_payment_limit_is_refused_and_nothing_is_paid(client, settings, resident, neighbour):
    limit(settings, "neighbour_payments", 1, 3600)
    wallet.credit_card_top_up(resident=resident, amount=20_00, idempotency_key="rate:top")
    client.force_login(resident)
    data = {"recipient": neighbour.handle, "amount": "5", "memo": "", "idempotency_key": "ratepay1"}
    assert client.post(reverse("wallet:send"), data).status_code == 200  # the confirmation step
    assert_refused_politely(client.post(reverse("wallet:send"), {**data, "confirm": "1"}), 3600)
    assert not Transaction.objects.filter(code=TransactionCode.PAY_NEIGHBOUR).exists()
    assert wallet.wallet_balance(user=neighbour) == 0


def test_a_resident_over_the_top_up_limit_is_refused_before_stripe_is_asked(client, settings, resident):
    from payments.models import TopUp

    enable_top_ups(settings)
    limit(settings, "top_ups", 1, 3600)
    client.force_login(resident)
    assert client.post(reverse("payments:top_up"), {"amount": "", "custom_amount": "0"}).status_code == 200
    assert_refused_politely(client.post(reverse("payments:top_up"), {"amount": "", "custom_amount": "0"}), 3600)
    assert not TopUp.objects.exists()


def test_the_partner_api_answers_429_json_over_the_token_limit(client, settings):
    from tests.vouchers.conftest import make_partner
    from vouchers.codes import generate_code
    from vouchers.services import create_partner_token

    limit(settings, "partner_api", 2, 60)
    _, raw = create_partner_token(partner=make_partner("hall", "Uimahalli"), name="Desk")
    headers = {"Authorization": f"Bearer {raw}"}
    unknown = generate_code()
    answers = [client.get(reverse("vouchers:api_lookup", args=[unknown]), headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert json.loads(answers[2].content)["error"] == "rate_limited"
    assert int(answers[2]["Retry-After"]) <= 60
