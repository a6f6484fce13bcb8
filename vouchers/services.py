"""Every write of vouchers: tokens, purchases, redemptions and expiry. Money moves only through wallet.services."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from vouchers import codes
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
from vouchers.models import Partner, PartnerToken, Product, Voucher
from vouchers.selectors import month_bounds

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "erp_"
# last_used_at is a convenience for the admin; writing it on every API call would double the writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _wallet():
    # Imported late: vouchers is loaded before wallet in some management commands, and tests swap it.
    from wallet import services

    return services


# --- Tokens ---------------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    # The token is 256 random bits, so a fast hash is enough: nobody can brute-force the preimage.
    return hashlib.sha256(raw.encode()).hexdigest()


def create_partner_token(*, partner: Partner, name: str, actor=None) -> tuple[PartnerToken, str]:
    """Makes a token for one desk or system. The raw token is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PartnerToken.objects.create(
        partner=partner, name=name.strip(), prefix=raw[:10], token_hash=hash_token(raw), created_by=actor
    )
    return token, raw


def revoke_partner_token(*, token: PartnerToken, now: datetime) -> bool:
    """Revokes the token; True if this call revoked it (a second call changes nothing)."""
    return bool(PartnerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now))


def authenticate_token(*, raw: str, now: datetime) -> PartnerToken | None:
    """The active token for the raw bearer value, or None. Touches last_used_at at most once a minute."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        PartnerToken.objects.select_related("partner")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- Purchases ------------------------------------------------------------------------------------


def _new_code() -> str:
    for _attempt in range(5):
        code = codes.generate_code()
        if not Voucher.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find a free voucher code")  # 31**9 codes: practically impossible


def buy_voucher(*, resident, product: Product, idempotency_key: str, now: datetime) -> Voucher:
    """Buys one voucher: the price moves from the resident's wallet to the partner's voucher liability.

    Runs inside atomic(); locks the product row first (so stock and the monthly limit are checked by one
    buyer at a time), then the ledger locks the wallet and the liability account. The same key returns the
    first voucher; the same key for another product raises PurchaseKeyReused. Raises ProductNotOnSale,
    SoldOut, MonthlyLimitReached and wallet.exceptions.InsufficientFunds; nothing is written then.
    """
    with transaction.atomic():
        product = Product.objects.select_for_update().select_related("partner").get(pk=product.pk)
        existing = Voucher.objects.filter(resident=resident, purchase_key=idempotency_key).first()
        if existing is not None:
            if existing.product_id != product.pk:
                raise PurchaseKeyReused(idempotency_key)
            return existing
        if not product.active:
            raise ProductNotOnSale(product.pk)
        if product.total_stock is not None:
            sold = Voucher.objects.filter(product=product).exclude(status=Voucher.Status.REFUNDED).count()
            if sold >= product.total_stock:
                raise SoldOut(product.pk)
        if product.monthly_limit is not None:
            start, end = month_bounds(now)
            bought = Voucher.objects.filter(
                resident=resident, product=product, purchased_at__gte=start, purchased_at__lt=end
            ).count()
            if bought >= product.monthly_limit:
                raise MonthlyLimitReached(product.monthly_limit)
        voucher = Voucher.objects.create(
            code=_new_code(),
            product=product,
            partner=product.partner,
            resident=resident,
            price=product.price,
            face_value=product.face_value,
            purchase_key=idempotency_key,
            purchased_at=now,
            expires_at=now + timedelta(days=product.validity_days),
        )
        _wallet().buy_voucher(
            resident=resident,
            partner_key=product.partner.ledger_key,
            amount=product.price,
            idempotency_key=f"voucher:{voucher.pk}:buy",
            memo=product.name_fi,
        )
    return voucher


# --- Redemption -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redemption:
    voucher: Voucher
    replay: bool  # True when this answer repeats an earlier redemption with the same key


def find_voucher(*, code: str, partner: Partner, now: datetime) -> Voucher:
    """The partner's redeemable voucher with this (parsed) code. Raises the reason it cannot be redeemed."""
    voucher = Voucher.objects.select_related("product").filter(code=code).first()
    if voucher is None:
        raise VoucherNotFound(code)
    if voucher.partner_id != partner.pk:
        raise VoucherOfAnotherPartner(voucher)
    if voucher.status == Voucher.Status.REDEEMED:
        raise VoucherAlreadyRedeemed(voucher)
    if voucher.status != Voucher.Status.VALID or voucher.expires_at <= now:
        raise VoucherExpired(voucher)
    return voucher


def redeem_voucher(
    *,
    code: str,
    partner: Partner,
    idempotency_key: str,
    now: datetime,
    where: str,
    token: PartnerToken | None = None,
    cashier=None,
) -> Redemption:
    """Uses the voucher once: a conditional UPDATE (status valid and not expired → redeemed) that exactly one
    of any number of concurrent attempts wins; the winner posts liability → partner payable with the voucher
    as the ledger's idempotency key, in the same transaction. A repeat with the winner's key answers the same
    (replay); any other attempt raises VoucherAlreadyRedeemed. Also raises VoucherNotFound,
    VoucherOfAnotherPartner, VoucherExpired, and RedemptionKeyReused when the key redeemed another voucher.
    """
    voucher = Voucher.objects.select_related("product").filter(code=code).first()
    if voucher is None:
        raise VoucherNotFound(code)
    if voucher.partner_id != partner.pk:
        raise VoucherOfAnotherPartner(voucher)
    changes = {
        "status": Voucher.Status.REDEEMED,
        "redeemed_at": now,
        "redeemed_where": where[:200],
        "redeemed_by": cashier,
        "redeemed_token": token,
        "redemption_key": idempotency_key,
    }
    try:
        with transaction.atomic():
            won = Voucher.objects.filter(pk=voucher.pk, status=Voucher.Status.VALID, expires_at__gt=now).update(
                **changes
            )
            if won:
                # Last in the transaction: the partner's liability account is the hot row that every
                # redemption of this partner locks, so it is held only from here to the commit.
                _wallet().redeem_voucher_value(
                    partner_key=partner.ledger_key,
                    amount=voucher.price,
                    idempotency_key=f"voucher:{voucher.pk}:redeem",
                )
    except IntegrityError as exc:
        # Only the partial unique index on (partner, redemption_key) can fail here: the whole atomic block is
        # rolled back, so nothing was written.
        raise RedemptionKeyReused(idempotency_key) from exc
    if won:
        for name, value in changes.items():
            setattr(voucher, name, value)
        return Redemption(voucher=voucher, replay=False)
    voucher.refresh_from_db(fields=["status", "redeemed_at", "redeemed_where", "redemption_key", "closed_at"])
    if voucher.status == Voucher.Status.REDEEMED:
        if voucher.redemption_key == idempotency_key:
            return Redemption(voucher=voucher, replay=True)
        raise VoucherAlreadyRedeemed(voucher)
    raise VoucherExpired(voucher)


# --- Expiry ---------------------------------------------------------------------------------------


def expire_voucher(*, voucher: Voucher, now: datetime) -> bool:
    """Closes an unused voucher past its time by the partner's policy: refund (liability → the resident's
    wallet) or lapse (liability → partner payable). A conditional update, so it happens at most once and
    never to a voucher that a redemption won. The resident gets an e-mail after the commit. True if closed.
    """
    policy = voucher.partner.expiry_policy
    status = Voucher.Status.REFUNDED if policy == Partner.ExpiryPolicy.REFUND else Voucher.Status.LAPSED
    with transaction.atomic():
        closed = Voucher.objects.filter(pk=voucher.pk, status=Voucher.Status.VALID, expires_at__lte=now).update(
            status=status, closed_at=now
        )
        if not closed:
            return False
        wallet = _wallet()
        if status == Voucher.Status.REFUNDED:
            wallet.refund_voucher(
                partner_key=voucher.partner.ledger_key,
                resident=voucher.resident,
                amount=voucher.price,
                idempotency_key=f"voucher:{voucher.pk}:refund",
            )
            _tell_resident(voucher=voucher, kind="voucher_refunded", params={"amount": voucher.price})
        else:
            wallet.redeem_voucher_value(
                partner_key=voucher.partner.ledger_key,
                amount=voucher.price,
                idempotency_key=f"voucher:{voucher.pk}:lapse",
            )
        voucher_pk = voucher.pk
        transaction.on_commit(lambda: notify_voucher_expired(voucher_pk=voucher_pk))
    return True


VOUCHER_WARNING = timedelta(days=3)


def warn_expiring_vouchers(*, now: datetime) -> int:
    """A notice and an e-mail, once per voucher, when a valid voucher expires within VOUCHER_WARNING.
    Idempotent; returns how many residents it told now."""
    soon = Voucher.objects.select_related("product", "resident").filter(
        status=Voucher.Status.VALID, expires_at__gt=now, expires_at__lte=now + VOUCHER_WARNING
    )
    from notifications.selectors import sent_keys

    vouchers = list(soon)
    already = sent_keys([f"voucher_expiring:{voucher.pk}" for voucher in vouchers])
    count = 0
    for voucher in vouchers:
        if f"voucher_expiring:{voucher.pk}" in already:
            continue
        with transaction.atomic():
            _tell_resident(voucher=voucher, kind="voucher_expiring", params={"expires_at": voucher.expires_at})
        count += 1
    return count


def _tell_resident(*, voucher: Voucher, kind: str, params: dict) -> None:
    """An in-app notice (keyed: at most once per voucher and kind), sent when the caller commits."""
    from notifications.services import notify

    extra = {}
    if kind == "voucher_refunded":
        extra["balance"] = _wallet().wallet_balance(user=voucher.resident)
    notify(
        recipient=voucher.resident,
        kind=kind,
        # Lazy: the product's name in the resident's language, chosen when the text is rendered.
        params={"product": lazy(lambda: voucher.product.name, str)(), **params, **extra},
        link=reverse("vouchers:mine"),
        key=f"{kind}:{voucher.pk}",
    )


def sweep(*, now: datetime) -> int:
    """run_sweeps: closes every unused voucher past its time. Idempotent; returns how many it closed."""
    due = Voucher.objects.select_related("partner", "resident").filter(status=Voucher.Status.VALID, expires_at__lte=now)
    closed = sum(expire_voucher(voucher=voucher, now=now) for voucher in due.iterator(chunk_size=200))
    return closed + warn_expiring_vouchers(now=now)


def notify_voucher_expired(*, voucher_pk: int) -> None:
    """Tells the resident that a voucher expired and what happened to its value. Runs after the commit.

    The notifications feature can replace this with its own channel; the voucher's status and closed_at
    record the event either way.
    """
    from wallet.money import format_eraha

    voucher = Voucher.objects.select_related("product", "resident").get(pk=voucher_pk)
    resident = voucher.resident
    if not resident.email_notifications:
        return
    with translation.override(resident.preferred_language or settings.LANGUAGE_CODE):
        if voucher.status == Voucher.Status.REFUNDED:
            body = _("Your voucher %(product)s (%(code)s) expired unused. %(amount)s was returned to your wallet.")
        else:
            body = _("Your voucher %(product)s (%(code)s) expired unused.")
        body = body % {
            "product": voucher.product.name,
            "code": voucher.display_code,
            "amount": format_eraha(voucher.price),
        }
        subject = _("Your voucher expired")
    try:
        send_mail(subject, body, None, [resident.email])
    except OSError:
        logger.exception("could not e-mail voucher %s expiry", voucher_pk)
