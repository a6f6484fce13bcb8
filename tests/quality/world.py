"""A small city for the security tests: the demo data plus a top-up, and the URL walker.

`build_world()` runs seed_demo and picks, for every path parameter, a real object that belongs to the
resident (asukas) or to the publisher's department (parks), so the permission matrix requests real pages.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

ROLES = ("anonymous", "resident", "neighbour", "publisher", "verifier", "cashier", "city_admin")
EMAILS = {
    "resident": "asukas@example.fi",
    "neighbour": "naapuri@example.fi",
    "publisher": "julkaisija@example.fi",
    "verifier": "tarkastaja@example.fi",
    "cashier": "kassa@example.fi",
    "city_admin": "admin@example.fi",
}


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


def enable_top_ups(settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no test may reach Stripe
    settings.STRIPE_MAX_NETWORK_RETRIES = 0


def make_top_up(resident):
    from payments.models import TopUp, TopUpStatus

    return TopUp.objects.create(
        resident=resident,
        eur_cents=10_00,
        eraha_cents=10_00,
        status=TopUpStatus.PENDING,
        session_id=f"cs_test_world_{resident.pk}",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )


def wallet_transaction_of(user):
    from wallet.ledger import wallet_ref
    from wallet.models import Transaction

    ref = wallet_ref(user)
    return Transaction.objects.filter(
        entries__account__kind=ref.kind, entries__account__owner_key=ref.owner_key
    ).first()


def build_world(settings) -> World:
    from notifications.models import Notification
    from tasks.models import Claim, ScreeningDecision, Task, TaskTemplate
    from verification.models import Proof, ProofPhoto
    from vouchers.models import Product, Voucher

    enable_top_ups(settings)
    call_command("seed_demo", quiet=True)
    users = {role: get_user_model().objects.get(email=email) for role, email in EMAILS.items()}
    resident = users["resident"]
    proof = Proof.objects.filter(resident=resident).order_by("pk").first()
    objects = {
        "task": Task.objects.filter(department__slug="parks", status=Task.Status.OPEN).order_by("pk").first(),
        "peer_task": Task.objects.filter(poster=resident, status=Task.Status.OPEN).order_by("pk").first(),
        "claim": Claim.objects.filter(resident=resident, status=Claim.Status.ACTIVE).order_by("pk").first(),
        "template": TaskTemplate.objects.filter(department__slug="parks").order_by("pk").first(),
        "screening": ScreeningDecision.objects.filter(resolution=ScreeningDecision.Resolution.PENDING).first(),
        "proof": proof,
        "queued_proof": Proof.objects.filter(status=Proof.Status.QUEUED, department__slug="parks").first(),
        "photo": ProofPhoto.objects.filter(proof=proof).first(),
        "top_up": make_top_up(resident),
        "transaction": wallet_transaction_of(resident),
        "product": Product.objects.filter(active=True).order_by("pk").first(),
        "voucher": Voucher.objects.filter(resident=resident).order_by("pk").first(),
        "notification": Notification.objects.filter(recipient=resident).order_by("pk").first(),
    }
    missing = [name for name, obj in objects.items() if obj is None]
    assert not missing, f"seed_demo no longer makes: {missing}"
    return World(users=users, objects=objects)


def walk_urls(resolver=None, prefix: str = "", namespace: str = ""):
    """Yields (name, route, pattern) for every URL pattern of the project, recursively."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk_urls(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or str(entry.pattern)
            yield (f"{namespace}:{name}" if namespace else name), prefix + str(entry.pattern), entry


def _area(path: str) -> str:
    return urlsplit(path).path.strip("/").split("/", 1)[0]


def classify(response, path: str) -> str:
    """The answer class: ok (2xx, or a redirect within the same area), login (a sign-in redirect), mfa (sent to
    set up two-factor authentication), moved (a redirect to another area), or the status code."""
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if "/accounts/login/" in location or "/admin/login/" in location:
            return "login"
        if "/accounts/2fa/" in location and not path.startswith("/accounts/"):
            return "mfa"
        return "ok" if _area(location) == _area(path) else "moved"
    return str(status)


def snapshot() -> dict:
    """Every row of every eRaha table, to prove a refused request wrote nothing."""
    from django.apps import apps

    labels = {"people", "tasks", "verification", "wallet", "vouchers", "payments", "notifications"}
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in labels:
            state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state
