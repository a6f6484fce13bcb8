"""The only module that talks to the Stripe API (through stripe-python's StripeClient).

Without STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET the feature is off. STRIPE_API_BASE points the client
at a local fake of the API (tests, stripe-mock).
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from django.conf import settings


def enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def _client() -> stripe.StripeClient:
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


# Stripe's session ids are about 70 characters; the ledger key "stripe:<id>" must stay within 200.
MAX_SESSION_ID_LENGTH = 150


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def idempotency_key(top_up_id: int) -> str:
    """Deterministic per top-up: a retried request returns the session Stripe already made for it."""
    return f"eraha-top-up-{top_up_id}"


def create_checkout_session(
    *,
    top_up_id: int,
    resident_id: int,
    email: str,
    eur_cents: int,
    eraha_cents: int,
    product_name: str,
    success_url: str,
    cancel_url: str,
    expires_at: int,
    locale: str,
) -> CheckoutSession:
    """Creates a hosted Checkout session for one top-up. Raises stripe.StripeError when Stripe refuses or
    cannot be reached (nothing is charged then: the resident never saw a payment page)."""
    metadata = {"top_up_id": str(top_up_id), "resident_id": str(resident_id), "eraha_cents": str(eraha_cents)}
    params = {
        "mode": "payment",
        "client_reference_id": str(top_up_id),
        "customer_email": email,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": "eur", "unit_amount": eur_cents, "product_data": {"name": product_name}},
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": expires_at,
        "locale": locale,
    }
    session = _client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key(top_up_id)}).to_dict()
    session_id, url = session.get("id"), session.get("url")
    if (
        not isinstance(session_id, str)
        or not session_id.startswith("cs_")
        or len(session_id) > MAX_SESSION_ID_LENGTH
        or not isinstance(url, str)
        or not url.startswith("https://")
    ):
        raise stripe.APIError("Stripe answered without a session id or a payment page address.")
    return CheckoutSession(id=session_id, url=url)


def verify_event(*, payload: bytes, signature: str | None) -> None:
    """Checks the Stripe-Signature header over the raw body (HMAC-SHA256 of "t.payload", within the
    tolerance). Raises stripe.SignatureVerificationError, or ValueError on a body that is not JSON."""
    stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
    )
