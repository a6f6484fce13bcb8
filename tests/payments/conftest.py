"""Card top-up fixtures: Stripe keys, a fake Stripe API on 127.0.0.1, and webhooks signed as Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from payments.models import TopUp, TopUpStatus

WEBHOOK_SECRET = "whsec_test_secret"
_ids = itertools.count(1)


class FakeStripe:
    """Answers POST /v1/checkout/sessions like Stripe and records every request it got."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "form": dict(parse_qsl(body))})
                if fake.status != 200:
                    answer = {"error": {"type": "api_error", "message": "down"}}
                else:
                    number = next(_ids)
                    answer = {
                        "id": f"cs_test_{number}",
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
                    }
                data = json.dumps(answer).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_stripe():
    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture
def stripe_on(settings, fake_stripe):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    settings.TOP_UP_MIN_CENTS = 5_00
    settings.TOP_UP_MAX_CENTS = 100_00
    settings.TOP_UP_MONTHLY_MAX_CENTS = 200_00
    settings.TOP_UP_ERAHA_CENTS_PER_EURO = 100
    return fake_stripe


@pytest.fixture
def stripe_off(settings):
    settings.STRIPE_SECRET_KEY = None
    settings.STRIPE_PUBLISHABLE_KEY = None
    settings.STRIPE_WEBHOOK_SECRET = None


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header exactly as Stripe builds it: HMAC-SHA256 over "t.payload"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def post_event(client, event, *, signature: str | None = "sign", payload: str | None = None):
    payload = json.dumps(event) if payload is None else payload
    headers = {}
    if signature == "sign":
        headers["HTTP_STRIPE_SIGNATURE"] = sign(payload)
    elif signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return client.post("/stripe/webhook/", data=payload, content_type="application/json", **headers)


def session_event(
    top_up,
    *,
    type="checkout.session.completed",
    event_id=None,
    payment_status="paid",
    amount=None,
    currency="eur",
    session_id=None,
    reference="own",
):
    return {
        "id": event_id or f"evt_{next(_ids)}",
        "object": "event",
        "type": type,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": session_id or top_up.session_id,
                "object": "checkout.session",
                "client_reference_id": str(top_up.pk) if reference == "own" else reference,
                "payment_status": payment_status,
                "amount_total": top_up.eur_cents if amount is None else amount,
                "currency": currency,
                "payment_intent": f"pi_{top_up.pk}",
                "metadata": {"top_up_id": str(top_up.pk)},
            }
        },
    }


def charge_event(top_up, *, type="charge.refunded", amount=None, currency="eur", event_id=None, payment_intent=None):
    amount = top_up.eur_cents if amount is None else amount
    obj = {"object": "charge", "id": f"ch_{top_up.pk}", "payment_intent": payment_intent or f"pi_{top_up.pk}"}
    obj["currency"] = currency
    if type == "charge.refunded":
        obj.update({"amount": top_up.eur_cents, "amount_refunded": amount, "refunded": amount == top_up.eur_cents})
    else:
        obj.update({"object": "dispute", "id": f"dp_{top_up.pk}", "charge": f"ch_{top_up.pk}", "amount": amount})
    return {
        "id": event_id or f"evt_{next(_ids)}",
        "object": "event",
        "type": type,
        "created": int(time.time()),
        "data": {"object": obj},
    }


def make_top_up(resident, *, eur_cents=10_00, eraha_cents=None, status=TopUpStatus.PENDING, session_id=None):
    import datetime

    from django.utils import timezone

    number = next(_ids)
    return TopUp.objects.create(
        resident=resident,
        eur_cents=eur_cents,
        eraha_cents=eur_cents if eraha_cents is None else eraha_cents,
        status=status,
        session_id=session_id or f"cs_test_made_{number}",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
