"""Demo money: funded departments, some resident balances and a few neighbour payments. Idempotent:
every posting has a fixed idempotency key, so a second run returns the first run's transactions."""

from __future__ import annotations

from people.demo import demo_user
from people.models import Department
from wallet import services

BUDGETS = {"parks": 5_000_00, "youth": 3_000_00, "sports": 2_000_00, "library": 1_000_00}
TOP_UPS = [("asukas@example.fi", 40_00), ("naapuri@example.fi", 25_00), ("elsa@example.fi", 15_00)]
PAYMENTS = [
    ("asukas@example.fi", "naapuri@example.fi", 5_00, "Kiitos lumitöistä!"),
    ("naapuri@example.fi", "asukas@example.fi", 2_50, "Pullat talkoisiin"),
    ("elsa@example.fi", "asukas@example.fi", 3_00, "Tack för hjälpen"),
]


def seed(*, now) -> list[str]:
    admin = demo_user("admin@example.fi")
    for slug, amount in BUDGETS.items():
        department = Department.objects.get(slug=slug)
        services.fund_department(department=department, amount=amount, actor=admin, idempotency_key=f"demo:fund:{slug}")
    for email, amount in TOP_UPS:
        # The demo has no Stripe: the starting balances are posted as card top-ups of an imagined payment.
        services.credit_card_top_up(resident=demo_user(email), amount=amount, idempotency_key=f"demo:top-up:{email}")
    for number, (sender, recipient, amount, memo) in enumerate(PAYMENTS, start=1):
        services.pay_neighbour(
            sender=demo_user(sender),
            recipient=demo_user(recipient),
            amount=amount,
            memo=memo,
            idempotency_key=f"demo:neighbour:{number}",
            now=now,
        )
    return ["Wallets: departments funded, demo residents have eRaha and a few neighbour payments."]
