from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from tests.vouchers.conftest import make_product, top_up
from vouchers import codes, services
from vouchers.exceptions import (
    MonthlyLimitReached,
    ProductNotOnSale,
    PurchaseKeyReused,
    RedemptionKeyReused,
    SoldOut,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherNotFound,
    VoucherOfAnotherPartner,
)
from vouchers.models import Partner, PartnerToken, Voucher

HELSINKI = ZoneInfo("Europe/Helsinki")


def balances(partner):
    from wallet.models import Account, AccountKind

    def balance(kind):
        account = Account.objects.filter(kind=kind, owner_key=partner.ledger_key).first()
        return account.credits_posted - account.debits_posted if account else 0

    return balance(AccountKind.VOUCHER_LIABILITY), balance(AccountKind.PARTNER_PAYABLE)


def wallet(user) -> int:
    from wallet.services import wallet_balance

    return wallet_balance(user=user)


# --- Buying ---------------------------------------------------------------------------------------


def test_buying_moves_the_price_from_the_wallet_to_the_partner_liability(funded_resident, swim):
    now = timezone.now()
    voucher = services.buy_voucher(resident=funded_resident, product=swim, idempotency_key="k-1", now=now)
    assert wallet(funded_resident) == 50_00 - 500
    assert balances(swim.partner) == (500, 0)
    assert voucher.status == Voucher.Status.VALID
    assert codes.is_valid(voucher.code)
    assert (voucher.price, voucher.face_value, voucher.partner) == (500, 600, swim.partner)
    assert voucher.expires_at == now + timedelta(days=30)


def test_buying_twice_with_the_same_key_buys_once(funded_resident, swim):
    now = timezone.now()
    first = services.buy_voucher(resident=funded_resident, product=swim, idempotency_key="k-1", now=now)
    second = services.buy_voucher(resident=funded_resident, product=swim, idempotency_key="k-1", now=now)
    assert first == second
    assert Voucher.objects.count() == 1
    assert wallet(funded_resident) == 50_00 - 500


def test_the_same_purchase_key_for_another_product_is_refused(funded_resident, swim, swimming_hall):
    other = make_product(swimming_hall, price=100)
    services.buy_voucher(resident=funded_resident, product=swim, idempotency_key="k-1", now=timezone.now())
    with pytest.raises(PurchaseKeyReused):
        services.buy_voucher(resident=funded_resident, product=other, idempotency_key="k-1", now=timezone.now())
    assert Voucher.objects.count() == 1


def test_buying_without_enough_eraha_writes_nothing(resident, swim):
    from wallet.exceptions import InsufficientFunds

    top_up(resident, 499)
    with pytest.raises(InsufficientFunds):
        services.buy_voucher(resident=resident, product=swim, idempotency_key="k-1", now=timezone.now())
    assert Voucher.objects.count() == 0
    assert wallet(resident) == 499


def test_an_inactive_product_cannot_be_bought(funded_resident, swim):
    swim.active = False
    swim.save(update_fields=["active"])
    with pytest.raises(ProductNotOnSale):
        services.buy_voucher(resident=funded_resident, product=swim, idempotency_key="k-1", now=timezone.now())
    assert Voucher.objects.count() == 0


def test_a_sold_out_product_cannot_be_bought(funded_resident, neighbour, swimming_hall, buy):
    product = make_product(swimming_hall, total_stock=1)
    buy(product)
    top_up(neighbour, 10_00)
    with pytest.raises(SoldOut):
        buy(product, resident=neighbour)
    assert Voucher.objects.filter(product=product).count() == 1
    assert wallet(neighbour) == 10_00


def test_the_monthly_limit_counts_the_local_calendar_month(funded_resident, swimming_hall, buy):
    product = make_product(swimming_hall, monthly_limit=2)
    last_of_march = datetime(2026, 3, 31, 23, 30, tzinfo=HELSINKI)
    buy(product, now=last_of_march - timedelta(days=1))
    buy(product, now=last_of_march)
    with pytest.raises(MonthlyLimitReached):
        buy(product, now=last_of_march + timedelta(minutes=10))
    # 00:00 on 1 April in Helsinki is still 31 March in UTC: a new month all the same.
    buy(product, now=datetime(2026, 4, 1, 0, 5, tzinfo=HELSINKI))
    assert Voucher.objects.filter(product=product).count() == 3


# --- Redeeming ------------------------------------------------------------------------------------


def test_redeeming_marks_the_voucher_used_and_moves_liability_to_payable(swimming_hall, swim, buy):
    voucher = buy(swim)
    now = timezone.now()
    redemption = services.redeem_voucher(
        code=voucher.code, partner=swimming_hall, idempotency_key="r-1", now=now, where="Kassa 1"
    )
    assert not redemption.replay
    voucher.refresh_from_db()
    assert (voucher.status, voucher.redeemed_at, voucher.redeemed_where) == ("redeemed", now, "Kassa 1")
    assert balances(swimming_hall) == (0, 500)


def test_a_replay_with_the_same_key_answers_the_same_and_posts_once(swimming_hall, swim, buy):
    voucher = buy(swim)
    now = timezone.now()
    kwargs = {"code": voucher.code, "partner": swimming_hall, "idempotency_key": "r-1", "where": "Kassa 1"}
    services.redeem_voucher(now=now, **kwargs)
    replay = services.redeem_voucher(now=now + timedelta(seconds=5), **kwargs)
    assert replay.replay
    assert replay.voucher.redeemed_at == now
    assert balances(swimming_hall) == (0, 500)


def test_a_second_redemption_with_another_key_says_when_and_where_it_was_used(swimming_hall, swim, buy):
    voucher = buy(swim)
    now = timezone.now()
    services.redeem_voucher(code=voucher.code, partner=swimming_hall, idempotency_key="r-1", now=now, where="Kassa 1")
    with pytest.raises(VoucherAlreadyRedeemed) as caught:
        services.redeem_voucher(
            code=voucher.code, partner=swimming_hall, idempotency_key="r-2", now=now, where="Kassa 2"
        )
    assert (caught.value.voucher.redeemed_at, caught.value.voucher.redeemed_where) == (now, "Kassa 1")
    assert balances(swimming_hall) == (0, 500)


def test_another_partners_voucher_is_refused(bus, swim, buy):
    voucher = buy(swim)
    with pytest.raises(VoucherOfAnotherPartner):
        services.redeem_voucher(code=voucher.code, partner=bus, idempotency_key="r-1", now=timezone.now(), where="x")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"


def test_an_unknown_code_is_not_found(swimming_hall):
    with pytest.raises(VoucherNotFound):
        services.redeem_voucher(
            code=codes.generate_code(), partner=swimming_hall, idempotency_key="r", now=timezone.now(), where="x"
        )


def test_an_expired_voucher_is_refused_even_before_the_sweep(swimming_hall, swim, buy):
    voucher = buy(swim)
    later = voucher.expires_at + timedelta(seconds=1)
    with pytest.raises(VoucherExpired):
        services.redeem_voucher(code=voucher.code, partner=swimming_hall, idempotency_key="r", now=later, where="x")
    assert Voucher.objects.get(pk=voucher.pk).status == "valid"
    assert balances(swimming_hall) == (500, 0)


def test_a_key_that_redeemed_one_voucher_cannot_redeem_another(swimming_hall, swim, buy):
    first, second = buy(swim), buy(swim)
    now = timezone.now()
    services.redeem_voucher(code=first.code, partner=swimming_hall, idempotency_key="r-1", now=now, where="x")
    with pytest.raises(RedemptionKeyReused):
        services.redeem_voucher(code=second.code, partner=swimming_hall, idempotency_key="r-1", now=now, where="x")
    assert Voucher.objects.get(pk=second.pk).status == "valid"
    assert balances(swimming_hall) == (500, 500)


# --- Expiry ---------------------------------------------------------------------------------------


def test_the_sweep_refunds_expired_unused_vouchers_once_and_tells_the_resident(
    funded_resident, swimming_hall, swim, buy
):
    expired, used, fresh = buy(swim), buy(swim), buy(swim)
    services.redeem_voucher(code=used.code, partner=swimming_hall, idempotency_key="r", now=timezone.now(), where="x")
    Voucher.objects.filter(pk__in=[expired.pk, used.pk]).update(expires_at=timezone.now() - timedelta(days=1))
    now = timezone.now()
    assert services.sweep(now=now) == 1
    assert services.sweep(now=now) == 0
    expired.refresh_from_db()
    assert (expired.status, expired.closed_at) == ("refunded", now)
    assert Voucher.objects.get(pk=used.pk).status == "redeemed"
    assert Voucher.objects.get(pk=fresh.pk).status == "valid"
    assert wallet(funded_resident) == 50_00 - 3 * 500 + 500
    assert balances(swimming_hall) == (500, 500)


def test_the_resident_gets_an_email_when_a_voucher_is_refunded(
    funded_resident, swim, buy, django_capture_on_commit_callbacks
):
    voucher = buy(swim)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep(now=voucher.expires_at)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [funded_resident.email]
    assert voucher.display_code in mail.outbox[0].body


def test_with_the_lapse_policy_an_expired_voucher_goes_to_the_partner(funded_resident, swimming_hall, swim, buy):
    swimming_hall.expiry_policy = Partner.ExpiryPolicy.LAPSE
    swimming_hall.save(update_fields=["expiry_policy"])
    voucher = buy(swim)
    assert services.sweep(now=voucher.expires_at) == 1
    voucher.refresh_from_db()
    assert voucher.status == "lapsed"
    assert wallet(funded_resident) == 50_00 - 500
    assert balances(swimming_hall) == (0, 500)


# --- Tokens ---------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash_and_stops_working_when_revoked(swimming_hall):
    token, raw = services.create_partner_token(partner=swimming_hall, name="Kassa 1")
    assert raw.startswith("erp_") and len(raw) > 40
    assert raw not in PartnerToken.objects.values_list("token_hash", flat=True)
    now = timezone.now()
    assert services.authenticate_token(raw=raw, now=now) == token
    assert PartnerToken.objects.get(pk=token.pk).last_used_at == now
    assert services.revoke_partner_token(token=token, now=now)
    assert not services.revoke_partner_token(token=token, now=now)
    assert services.authenticate_token(raw=raw, now=now) is None


def test_last_used_is_written_at_most_once_a_minute(swimming_hall, django_assert_num_queries):
    token, raw = services.create_partner_token(partner=swimming_hall, name="Kassa 1")
    now = timezone.now()
    services.authenticate_token(raw=raw, now=now)
    with django_assert_num_queries(1):
        services.authenticate_token(raw=raw, now=now + timedelta(seconds=30))
    assert PartnerToken.objects.get(pk=token.pk).last_used_at == now
