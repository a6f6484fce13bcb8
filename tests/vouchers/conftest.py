"""Partners, products, tokens and a funded resident for the voucher tests."""

from __future__ import annotations

import itertools

import pytest

_keys = itertools.count(1)


def top_up(user, amount: int) -> None:
    from wallet.services import credit_card_top_up

    credit_card_top_up(resident=user, amount=amount, idempotency_key=f"test-top-up-{next(_keys)}")


def make_partner(slug: str, name: str, **fields):
    from vouchers.models import Partner

    return Partner.objects.create(slug=slug, name=name, **fields)


def make_product(partner, **fields):
    from vouchers.models import Product

    fields.setdefault("name_fi", "Uintikerta")
    fields.setdefault("name_sv", "Simtur")
    fields.setdefault("name_en", "Single swim")
    fields.setdefault("price", 500)
    fields.setdefault("face_value", 600)
    fields.setdefault("validity_days", 30)
    return Product.objects.create(partner=partner, **fields)


@pytest.fixture
def swimming_hall(db):
    return make_partner("uimahalli", "Imatran uimahalli")


@pytest.fixture
def bus(db):
    return make_partner("bussi", "Imatran kaupunkiliikenne")


@pytest.fixture
def swim(swimming_hall):
    return make_product(swimming_hall)


@pytest.fixture
def bus_trip(bus):
    return make_product(
        bus, name_fi="Kertalippu", name_sv="Enkelbiljett", name_en="Single trip", price=300, face_value=320
    )


@pytest.fixture
def funded_resident(resident):
    top_up(resident, 50_00)
    return resident


@pytest.fixture
def desk_cashier(cashier, swimming_hall):
    swimming_hall.cashiers.add(cashier)
    return cashier


@pytest.fixture
def hall_token(swimming_hall):
    from vouchers.services import create_partner_token

    _token, raw = create_partner_token(partner=swimming_hall, name="Kassa 1")
    return raw


@pytest.fixture
def bus_token(bus):
    from vouchers.services import create_partner_token

    _token, raw = create_partner_token(partner=bus, name="Ajoneuvo 12")
    return raw


@pytest.fixture
def buy(funded_resident):
    """buy(product, resident=...) → a fresh voucher bought now."""
    from django.utils import timezone

    from vouchers import services

    def _buy(product, resident=None, now=None):
        return services.buy_voucher(
            resident=resident or funded_resident,
            product=product,
            idempotency_key=f"buy-{next(_keys)}",
            now=now or timezone.now(),
        )

    return _buy
