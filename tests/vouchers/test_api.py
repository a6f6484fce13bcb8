"""The partner API contract (DESIGN.md, docs/api.md): one test per answer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from vouchers import codes, services
from vouchers.models import PartnerToken, Voucher

REDEEM = "/api/v1/vouchers/redeem"


def lookup(client, code, token):
    return client.get(f"/api/v1/vouchers/{code}", HTTP_AUTHORIZATION=f"Bearer {token}")


def redeem(client, code, token, key="key-1", body=None):
    payload = json.dumps({"code": code}) if body is None else body
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(REDEEM, payload, content_type="application/json", **headers)


def assert_error(response, status, error):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["detail"], str) and body["detail"]


def test_200_lookup_describes_a_valid_voucher(client, swim, buy, hall_token):
    voucher = buy(swim)
    response = lookup(client, voucher.code, hall_token)
    assert response.status_code == 200
    body = response.json()["voucher"]
    assert body["code"] == voucher.code
    assert body["status"] == "valid"
    assert body["product"]["name"] == "Uintikerta"
    assert body["face_value"] == {"amount": "6.00", "currency": "EUR"}
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"  # a lookup changes nothing


def test_200_redeem_uses_the_voucher(client, swim, buy, hall_token):
    voucher = buy(swim)
    response = redeem(client, voucher.display_code.lower(), hall_token)
    assert response.status_code == 200
    assert response["Idempotent-Replayed"] == "false"
    body = response.json()
    assert body["redeemed"] is True
    assert body["voucher"]["status"] == "used"
    assert body["voucher"]["redeemed_where"] == "Imatran uimahalli: Kassa 1"
    voucher.refresh_from_db()
    assert voucher.status == "redeemed"
    assert voucher.redeemed_token == PartnerToken.objects.get(name="Kassa 1")


def test_200_a_replay_with_the_same_key_gets_the_same_answer(client, swim, buy, hall_token):
    voucher = buy(swim)
    first = redeem(client, voucher.code, hall_token, key="same")
    second = redeem(client, voucher.code, hall_token, key="same")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Voucher.objects.filter(status="redeemed").count() == 1


def test_409_a_different_key_on_a_redeemed_voucher(client, swim, buy, hall_token):
    voucher = buy(swim)
    redeem(client, voucher.code, hall_token, key="first")
    response = redeem(client, voucher.code, hall_token, key="second")
    assert_error(response, 409, "already_redeemed")
    assert response.json()["voucher"]["redeemed_at"]
    assert_error(lookup(client, voucher.code, hall_token), 409, "already_redeemed")
    assert Voucher.objects.get(pk=voucher.pk).redemption_key == "api:first"


def test_404_an_unknown_code(client, swimming_hall, hall_token):
    code = codes.generate_code()
    assert_error(lookup(client, code, hall_token), 404, "not_found")
    assert_error(redeem(client, code, hall_token), 404, "not_found")


def test_410_an_expired_voucher(client, swim, buy, hall_token):
    voucher = buy(swim)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert_error(lookup(client, voucher.code, hall_token), 410, "expired")
    assert_error(redeem(client, voucher.code, hall_token), 410, "expired")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_410_a_refunded_voucher(client, swim, buy, hall_token):
    voucher = buy(swim)
    services.sweep(now=voucher.expires_at)
    assert_error(redeem(client, voucher.code, hall_token), 410, "expired")
    assert Voucher.objects.get(pk=voucher.pk).status == "refunded"


def test_403_another_partners_voucher(client, bus_trip, swim, buy, hall_token, bus_token):
    voucher = buy(bus_trip)
    assert_error(lookup(client, voucher.code, hall_token), 403, "other_partner")
    assert_error(redeem(client, voucher.code, hall_token), 403, "other_partner")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer erp_not-a-real-token", "Token x"])
def test_401_a_missing_or_bad_token(client, swim, buy, header):
    voucher = buy(swim)
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.post(
        REDEEM, json.dumps({"code": voucher.code}), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k", **headers
    )
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_401_a_revoked_token(client, swim, buy, hall_token):
    voucher = buy(swim)
    services.revoke_partner_token(token=PartnerToken.objects.get(name="Kassa 1"), now=timezone.now())
    assert_error(redeem(client, voucher.code, hall_token), 401, "unauthorized")
    assert_error(lookup(client, voucher.code, hall_token), 401, "unauthorized")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


@pytest.mark.parametrize(
    "body", ["", "not json", "[]", "{}", '{"code": 12}', '{"code": null}', '{"kood": "x"}', '{"code": "ABC"}']
)
def test_400_a_malformed_body(client, swim, buy, hall_token, body):
    buy(swim)
    response = redeem(client, None, hall_token, body=body)
    assert response.status_code == 400
    assert response.json()["error"] in {"malformed", "invalid_code"}
    assert Voucher.objects.filter(status="redeemed").count() == 0


def test_400_a_mistyped_code_is_caught_by_the_check_character(client, swim, buy, hall_token):
    voucher = buy(swim)
    typo = voucher.code[:4] + voucher.code[5] + voucher.code[4] + voucher.code[6:]
    if typo == voucher.code:  # two equal neighbours: change one character instead
        replacement = codes.ALPHABET[(codes.ALPHABET.index(voucher.code[4]) + 1) % 31]
        typo = voucher.code[:4] + replacement + voucher.code[5:]
    assert_error(redeem(client, typo, hall_token), 400, "invalid_code")
    assert_error(lookup(client, typo, hall_token), 400, "invalid_code")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


@pytest.mark.parametrize("key", [None, "", "x" * 101])
def test_400_a_missing_or_oversized_idempotency_key(client, swim, buy, hall_token, key):
    voucher = buy(swim)
    assert_error(redeem(client, voucher.code, hall_token, key=key), 400, "idempotency_key")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_400_a_key_that_redeemed_another_voucher(client, swim, buy, hall_token):
    first, second = buy(swim), buy(swim)
    redeem(client, first.code, hall_token, key="k")
    assert_error(redeem(client, second.code, hall_token, key="k"), 400, "idempotency_key_reused")
    assert Voucher.objects.get(pk=second.pk).status == "valid"


def test_429_lookups_are_rate_limited_per_token(client, settings, swimming_hall, hall_token, bus_token):
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_api": (3, 60), "desk_lookups": (3, 60)}
    for _ in range(3):
        assert lookup(client, codes.generate_code(), hall_token).status_code == 404
    response = lookup(client, codes.generate_code(), hall_token)
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Another token has its own budget.
    assert lookup(client, codes.generate_code(), bus_token).status_code == 404


def test_the_api_needs_no_csrf_token_and_sets_no_session(swim, buy, hall_token):
    from django.test import Client

    voucher = buy(swim)
    strict = Client(enforce_csrf_checks=True)
    response = redeem(strict, voucher.code, hall_token)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_redeem_answers_405_to_get(client, hall_token):
    assert client.get(REDEEM, HTTP_AUTHORIZATION=f"Bearer {hall_token}").status_code == 405
