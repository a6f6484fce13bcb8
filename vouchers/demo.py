"""Demo partners and products (Imatra swimming hall, city buses), the desk's cashier and two vouchers."""

from __future__ import annotations

from vouchers import services
from vouchers.models import Partner, Product, Voucher

PARTNERS = [
    {
        "slug": "imatra-swimming-hall",
        "name": "Imatran uimahalli",
        "contact_name": "Uimahallin kassa",
        "contact_email": "uimahalli@example.fi",
        "settlement_details": "Y-tunnus 0000000-0, FI00 0000 0000 0000 00",
    },
    {
        "slug": "imatra-bus",
        "name": "Imatran kaupunkiliikenne",
        "contact_name": "Asiakaspalvelu",
        "contact_email": "bussit@example.fi",
        "settlement_details": "Y-tunnus 0000000-1, FI00 0000 0000 0000 01",
    },
]

# partner slug, order, fi, sv, en, description fi/sv/en, price cents eRaha, face value euro cents, days, monthly limit
PRODUCTS = [
    (
        "imatra-swimming-hall",
        1,
        "Uintikerta",
        "Simtur",
        "Single swim",
        "Yksi uintikerta Imatran uimahallissa.",
        "En simtur i Imatra simhall.",
        "One swim at Imatra swimming hall.",
        500,
        600,
        90,
        8,
    ),
    (
        "imatra-swimming-hall",
        2,
        "10 uintikerran kortti",
        "Kort för 10 simturer",
        "10-swim card",
        "Kymmenen uintikertaa, voimassa vuoden.",
        "Tio simturer, giltigt i ett år.",
        "Ten swims, valid for a year.",
        4500,
        5400,
        365,
        1,
    ),
    (
        "imatra-bus",
        1,
        "Kertalippu",
        "Enkelbiljett",
        "Single trip",
        "Yksi bussimatka Imatran kaupunkiliikenteessä.",
        "En bussresa i Imatras stadstrafik.",
        "One bus trip in Imatra's city transport.",
        300,
        320,
        60,
        20,
    ),
    (
        "imatra-bus",
        2,
        "Päivälippu",
        "Dagsbiljett",
        "Day ticket",
        "Rajattomasti matkoja yhden päivän ajan.",
        "Obegränsat med resor under en dag.",
        "Unlimited trips for one day.",
        800,
        900,
        60,
        4,
    ),
]

DEMO_PURCHASES = [("demo-voucher-1", "imatra-swimming-hall", 1), ("demo-voucher-2", "imatra-bus", 1)]


def seed(*, now) -> list[str]:
    from people.demo import demo_user

    partners = {}
    for fields in PARTNERS:
        slug = fields["slug"]
        partners[slug], _ = Partner.objects.get_or_create(slug=slug, defaults=fields)
    for slug, order, fi, sv, en, dfi, dsv, den, price, face, days, limit in PRODUCTS:
        Product.objects.get_or_create(
            partner=partners[slug],
            sort_order=order,
            defaults={
                "name_fi": fi,
                "name_sv": sv,
                "name_en": en,
                "description_fi": dfi,
                "description_sv": dsv,
                "description_en": den,
                "price": price,
                "face_value": face,
                "validity_days": days,
                "monthly_limit": limit,
            },
        )
    partners["imatra-swimming-hall"].cashiers.add(demo_user("kassa@example.fi"))
    lines = ["Vouchers: Imatran uimahalli (cashier kassa@example.fi) and Imatran kaupunkiliikenne."]

    resident = demo_user("asukas@example.fi")
    from wallet.exceptions import LedgerError

    for key, slug, order in DEMO_PURCHASES:
        if Voucher.objects.filter(resident=resident, purchase_key=key).exists():
            continue
        product = Product.objects.get(partner=partners[slug], sort_order=order)
        try:
            voucher = services.buy_voucher(resident=resident, product=product, idempotency_key=key, now=now)
        except LedgerError as exc:
            lines.append(f"  could not buy a demo voucher for asukas@example.fi: {exc!r}")
            continue
        lines.append(f"  asukas@example.fi has voucher {voucher.display_code} ({product.name_en})")
    return lines
