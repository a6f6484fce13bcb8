"""Every write of card top-ups: starting a Checkout session and applying signed Stripe webhooks.

Money moves only through the wallet API: the credit through wallet.services.credit_card_top_up with the
key "stripe:<session id>", and taking eRaha back after a refund or dispute through the ledger's one posting
function (wallet.services.post_transaction), never below zero.
"""

from __future__ import annotations

import datetime
import json
import logging

import stripe
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import stripe_gateway
from payments.exceptions import StripeUnavailable, WebhookRejected
from payments.limits import Limits, proportional_eraha
from payments.models import OPEN_STATUSES, PAID_STATUSES, EventOutcome, StripeEvent, TopUp, TopUpStatus
from people.models import User
from wallet import services as wallet
from wallet.exceptions import InsufficientFunds, LedgerError
from wallet.ledger import CARD_ISSUANCE, AccountRef, Leg, transfer_legs, wallet_ref
from wallet.models import TransactionCode
from wallet.money import format_eraha

logger = logging.getLogger(__name__)

# Stripe accepts a Checkout session lifetime of 30 minutes to 24 hours.
SESSION_LIFETIME = datetime.timedelta(hours=1)
# Delayed payment methods settle within days; Stripe gives up after two weeks.
DELAYED_PAYMENT_WINDOW = datetime.timedelta(days=14)
# The sweep waits this long after expiry for Stripe's own checkout.session.expired event.
EXPIRY_GRACE = datetime.timedelta(hours=1)
CURRENCY = "eur"
MAX_ID_LENGTH = 90
STRIPE_LOCALES = {"fi": "fi", "sv": "sv", "en": "en"}
# Checkout session ids start with "cs_" (cs_test_..., cs_live_...): the audit and the report look only
# at credits keyed like that, so other uses of a "stripe:" key are not mistaken for top-ups.
CHECKOUT_CREDIT_PREFIX = "stripe:cs_"


def credit_key(session_id: str) -> str:
    return f"stripe:{session_id}"


def take_back_key_prefix(session_id: str) -> str:
    return f"stripe-take-back:{session_id}:"


# --- Starting a top-up -----------------------------------------------------------------------------


def month_start(now) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_total(*, resident, now) -> int:
    """Euro cents this calendar month (local time) that count towards the resident's monthly limit: paid
    top-ups, and open ones that may still be paid."""
    total = (
        TopUp.objects.filter(resident=resident, created_at__gte=month_start(now))
        .filter(Q(status__in=PAID_STATUSES) | Q(status__in=OPEN_STATUSES, expires_at__gt=now))
        .aggregate(total=Sum("eur_cents"))["total"]
    )
    return total or 0


def start_top_up(
    *, resident, eur_cents: int, success_url: str, cancel_url: str, language: str, now, limits: Limits | None = None
) -> TopUp:
    """Creates the top-up and its Stripe Checkout session; the resident then pays on Stripe's page.

    `success_url` and `cancel_url` contain "{id}", replaced by the top-up's id. Runs the limit check and the
    insert inside atomic(), locking the resident's user row so two tabs cannot both pass the monthly limit;
    Stripe is called after the commit, never while a lock is held. Raises AmountOutOfRange,
    MonthlyLimitReached, StripeUnavailable (the top-up is then marked failed; nothing was charged).
    """
    limits = limits or Limits.from_settings()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=resident.pk).values_list("pk").first()
        limits.check(eur_cents=eur_cents, month_total=month_total(resident=resident, now=now))
        top_up = TopUp.objects.create(
            resident=resident,
            eur_cents=eur_cents,
            eraha_cents=limits.eraha_for(eur_cents),
            currency=CURRENCY,
            status=TopUpStatus.CREATED,
            expires_at=now + SESSION_LIFETIME,
            created_at=now,
            updated_at=now,
        )
    try:
        session = stripe_gateway.create_checkout_session(
            top_up_id=top_up.pk,
            resident_id=resident.pk,
            email=resident.email,
            eur_cents=top_up.eur_cents,
            eraha_cents=top_up.eraha_cents,
            product_name=_("%(amount)s for the City of Imatra's eRaha wallet")
            % {"amount": format_eraha(top_up.eraha_cents)},
            success_url=success_url.replace("{id}", str(top_up.pk)),
            cancel_url=cancel_url.replace("{id}", str(top_up.pk)),
            expires_at=int(top_up.expires_at.timestamp()),
            locale=STRIPE_LOCALES.get((language or "")[:2], "auto"),
        )
    except stripe.StripeError as exc:
        logger.warning("Stripe Checkout session for top-up %s failed: %s", top_up.pk, exc)
        TopUp.objects.filter(pk=top_up.pk, status=TopUpStatus.CREATED).update(
            status=TopUpStatus.FAILED, note=f"Stripe: {type(exc).__name__}"[:500], updated_at=now
        )
        raise StripeUnavailable() from exc
    TopUp.objects.filter(pk=top_up.pk, status=TopUpStatus.CREATED).update(
        status=TopUpStatus.PENDING, session_id=session.id, checkout_url=session.url, updated_at=now
    )
    top_up.refresh_from_db()
    return top_up


# --- Webhooks --------------------------------------------------------------------------------------

SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
# Money going back to the card: the event's amount field, where the top-up records it, its status after.
RETURNS = {
    "charge.refunded": ("amount_refunded", "refunded_eur_cents", TopUpStatus.REFUNDED),
    "charge.dispute.created": ("amount", "disputed_eur_cents", TopUpStatus.DISPUTED),
}
CHARGE_EVENTS = set(RETURNS)


def _parse(payload: bytes, signature: str | None) -> dict:
    try:
        stripe_gateway.verify_event(payload=payload, signature=signature)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected("bad signature") from exc
    except Exception as exc:
        # The signature held, so whatever failed is the body: not UTF-8, not JSON, not an event.
        raise WebhookRejected("malformed body") from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise WebhookRejected("malformed body") from exc
    if not isinstance(event, dict):
        raise WebhookRejected("malformed body")
    event_id, event_type = event.get("id"), event.get("type")
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    # Stripe's ids are short ("evt_" and 24 characters); the limit keeps ledger keys within 200 characters.
    if not isinstance(event_id, str) or not event_id or len(event_id) > MAX_ID_LENGTH:
        raise WebhookRejected("malformed event id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise WebhookRejected("malformed event type")
    if not isinstance(obj, dict):
        raise WebhookRejected("malformed event object")
    return event


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    if isinstance(value, dict):  # an expanded object
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _find_top_up(event_type: str, obj: dict) -> TopUp:
    """The top-up the event is about, or WebhookRejected (nothing written) when there is none."""
    if event_type in SESSION_EVENTS:
        session_id = _text(obj, "id")
        top_up = TopUp.objects.filter(session_id=session_id).first() if session_id else None
        if top_up is None:
            raise WebhookRejected("unknown session")
        reference = obj.get("client_reference_id")
        if reference is not None and reference != str(top_up.pk):
            raise WebhookRejected("client reference does not match the session's top-up")
        return top_up
    payment_intent = _text(obj, "payment_intent")
    top_up = TopUp.objects.filter(payment_intent_id=payment_intent).first() if payment_intent else None
    if top_up is None:
        raise WebhookRejected("unknown payment")
    return top_up


def handle_webhook(*, payload: bytes, signature: str | None, now) -> StripeEvent:
    """Verifies, stores once and applies one Stripe event. Raises WebhookRejected (nothing is written).

    Runs inside atomic(): the event row is inserted first (a concurrent delivery of the same event waits on
    its unique index and then sees a replay), then the top-up row is locked, so two different events of one
    session (completed and async_payment_succeeded) are applied one after the other and credit once.
    """
    event = _parse(payload, signature)
    event_type, obj = event["type"], event["data"]["object"]
    relevant = event_type in SESSION_EVENTS or event_type in CHARGE_EVENTS
    top_up = _find_top_up(event_type, obj) if relevant else None
    existing = StripeEvent.objects.filter(event_id=event["id"]).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = StripeEvent.objects.create(
                    event_id=event["id"], type=event_type, payload=event, top_up=top_up, received_at=now
                )
        except IntegrityError:
            # Another delivery of the same event won the race; it has done (or will do) the work.
            return StripeEvent.objects.get(event_id=event["id"])
        outcome = EventOutcome.IGNORED
        if top_up is not None:
            top_up = TopUp.objects.select_for_update().get(pk=top_up.pk)
            outcome = _apply(event_type=event_type, obj=obj, top_up=top_up, event_id=event["id"], now=now)
        stored.outcome = outcome
        stored.processed_at = now
        stored.save(update_fields=["outcome", "processed_at"])
    return stored


def _apply(*, event_type: str, obj: dict, top_up: TopUp, event_id: str, now) -> str:
    if event_type == "checkout.session.completed":
        _remember_payment_intent(top_up, obj)
        if obj.get("payment_status") == "paid":
            return _credit(top_up=top_up, session=obj, now=now)
        if top_up.status in OPEN_STATUSES:
            # A delayed payment method (e.g. a bank debit): async_payment_succeeded or _failed follows,
            # within days. Until then it counts towards the monthly limit and the sweep leaves it alone.
            _save(top_up, now, status=TopUpStatus.PENDING, expires_at=now + DELAYED_PAYMENT_WINDOW)
        return EventOutcome.AWAITING_PAYMENT
    if event_type == "checkout.session.async_payment_succeeded":
        _remember_payment_intent(top_up, obj)
        return _credit(top_up=top_up, session=obj, now=now)
    if event_type == "checkout.session.async_payment_failed":
        if top_up.credit_transaction_id is None and top_up.status in OPEN_STATUSES:
            _save(top_up, now, status=TopUpStatus.FAILED, note="Stripe: the delayed payment failed.")
            return EventOutcome.MARKED_FAILED
        return EventOutcome.IGNORED
    if event_type == "checkout.session.expired":
        if top_up.credit_transaction_id is None and top_up.status in OPEN_STATUSES:
            _save(top_up, now, status=TopUpStatus.EXPIRED)
            return EventOutcome.MARKED_EXPIRED
        return EventOutcome.IGNORED
    if event_type in RETURNS:
        amount_key, field, done_status = RETURNS[event_type]
        return _record_returned(
            top_up=top_up,
            obj=obj,
            amount_key=amount_key,
            field=field,
            done_status=done_status,
            event_id=event_id,
            now=now,
        )
    return EventOutcome.IGNORED


def _save(top_up: TopUp, now, **fields) -> None:
    for name, value in fields.items():
        setattr(top_up, name, value)
    top_up.updated_at = now
    top_up.save(update_fields=[*fields, "updated_at"])


def _remember_payment_intent(top_up: TopUp, session: dict) -> None:
    payment_intent = _text(session, "payment_intent")
    if payment_intent and not top_up.payment_intent_id:
        top_up.payment_intent_id = payment_intent[:255]
        top_up.save(update_fields=["payment_intent_id"])


def _attention(top_up: TopUp, now, note: str) -> str:
    _save(top_up, now, status=TopUpStatus.NEEDS_ATTENTION, note=note[:500])
    return EventOutcome.NEEDS_ATTENTION


def _credit(*, top_up: TopUp, session: dict, now) -> str:
    """Credits the top-up once. Runs inside the webhook's atomic() with the top-up row locked."""
    if top_up.credit_transaction_id is not None:
        return EventOutcome.ALREADY_CREDITED
    amount, currency = session.get("amount_total"), session.get("currency")
    whole_cents = isinstance(amount, int) and not isinstance(amount, bool)
    # Stripe says the money is paid: record what and when, before checking it against the top-up.
    top_up.paid_eur_cents = amount if whole_cents else None
    top_up.paid_at = top_up.paid_at or now
    top_up.save(update_fields=["paid_eur_cents", "paid_at"])
    if (
        not whole_cents
        or amount != top_up.eur_cents
        or not isinstance(currency, str)
        or currency.lower() != top_up.currency
    ):
        _attention(top_up, now, f"Stripe reported {amount!r} {currency!r}; expected {top_up.eur_cents} eur.")
        return EventOutcome.MISMATCH
    if top_up.refunded_eur_cents or top_up.disputed_eur_cents:
        return _attention(top_up, now, "Paid after a refund or dispute was recorded; check the payment in Stripe.")
    try:
        credit = wallet.credit_card_top_up(
            resident=top_up.resident, amount=top_up.eraha_cents, idempotency_key=credit_key(top_up.session_id)
        )
    except LedgerError as exc:
        logger.error("Crediting top-up %s failed: %s", top_up.pk, exc)
        return _attention(top_up, now, f"The ledger refused the credit: {type(exc).__name__}.")
    _save(top_up, now, status=TopUpStatus.CREDITED, credit_transaction=credit, note="")
    return EventOutcome.CREDITED


def _record_returned(
    *, top_up: TopUp, obj: dict, amount_key: str, field: str, done_status: str, event_id: str, now
) -> str:
    """A refund (charge.refunded: the charge's cumulative amount_refunded) or a dispute
    (charge.dispute.created: the disputed amount): records the euros, then takes back their eRaha."""
    amount, currency = obj.get(amount_key), obj.get("currency")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise WebhookRejected(f"malformed {amount_key}")
    if not isinstance(currency, str) or currency.lower() != top_up.currency or amount > top_up.eur_cents:
        return _attention(top_up, now, f"{amount_key} {amount!r} {currency!r} does not match the top-up.")
    if amount > getattr(top_up, field):
        setattr(top_up, field, amount)
        top_up.save(update_fields=[field])
    return _take_back(top_up=top_up, event_id=event_id, now=now, done_status=done_status)


def _take_back(*, top_up: TopUp, event_id: str, now, done_status: str) -> str:
    """Takes back the eRaha of what was refunded or disputed, as far as the wallet holds them; what the
    resident has already spent is left for the city administrator (status "needs attention"), because a
    wallet never goes below zero."""
    recorded = EventOutcome.REFUND_RECORDED if done_status == TopUpStatus.REFUNDED else EventOutcome.DISPUTE_RECORDED
    if top_up.credit_transaction_id is None:
        # Nothing was credited, so nothing is taken back; a later "paid" event is not credited either.
        _save(top_up, now, status=done_status)
        return recorded
    returned_eur = min(top_up.eur_cents, top_up.refunded_eur_cents + top_up.disputed_eur_cents)
    owed = proportional_eraha(eraha_cents=top_up.eraha_cents, eur_cents=top_up.eur_cents, part_eur_cents=returned_eur)
    to_take = owed - top_up.reversed_eraha_cents
    if to_take <= 0:
        return recorded
    take = min(to_take, wallet.wallet_balance(user=top_up.resident))
    if take > 0:
        try:
            _post_take_back(top_up=top_up, amount=take, event_id=event_id, now=now)
        except InsufficientFunds:
            # The resident spent the eRaha between our balance read and the posting.
            take = 0
        except LedgerError as exc:
            # E.g. an administrator already reversed the credit by hand: a person has to look at it.
            return _attention(top_up, now, f"The ledger refused to take the eRaha back: {type(exc).__name__}.")
    top_up.reversed_eraha_cents += take
    top_up.save(update_fields=["reversed_eraha_cents"])
    if take < to_take:
        return _attention(
            top_up,
            now,
            f"{format_eraha(to_take - take)} could not be taken back: the resident has already spent them.",
        )
    _save(top_up, now, status=done_status)
    return recorded


def _post_take_back(*, top_up: TopUp, amount: int, event_id: str, now) -> None:
    """Wallet → card issuance. The whole top-up at once is a reversal of the credit (it mirrors it);
    a part is a transfer with a memo. Runs in the ledger's own atomic()."""
    key = take_back_key_prefix(top_up.session_id) + event_id
    credit = top_up.credit_transaction
    memo = "Card payment refunded or disputed"
    if top_up.reversed_eraha_cents == 0 and amount == top_up.eraha_cents:
        legs = [
            Leg(AccountRef(entry.account.kind, entry.account.owner_key), -entry.amount)
            for entry in credit.entries.select_related("account").order_by("pk")
        ]
        wallet.post_transaction(
            code=TransactionCode.REVERSAL, legs=legs, idempotency_key=key, memo=memo, reverses=credit, now=now
        )
        return
    wallet.post_transaction(
        code=TransactionCode.TRANSFER,
        legs=transfer_legs(wallet_ref(top_up.resident), CARD_ISSUANCE, amount),
        idempotency_key=key,
        memo=memo,
        now=now,
    )


# --- Sweep -----------------------------------------------------------------------------------------


def sweep(*, now) -> int:
    """Marks open top-ups expired when Stripe's expiry event has not come (e.g. the webhook was not yet
    configured). Idempotent; a payment that still arrives later is credited all the same."""
    return TopUp.objects.filter(status__in=OPEN_STATUSES, expires_at__lt=now - EXPIRY_GRACE).update(
        status=TopUpStatus.EXPIRED, updated_at=now
    )
