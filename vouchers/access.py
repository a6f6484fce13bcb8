"""The one place that decides who may see what in vouchers. Every view goes through these helpers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from people import roles
from vouchers.models import Partner, Product, Voucher


def get_voucher_for_resident(user, code: str) -> Voucher:
    """The user's own voucher; anyone else's is a 404 (its existence is not revealed)."""
    voucher = (
        Voucher.objects.select_related("product", "partner").filter(code=code.upper(), resident_id=user.pk).first()
    )
    if voucher is None:
        raise Http404("no such voucher")
    return voucher


def get_product_for_sale(user, product_id: int) -> Product:
    """Any product that exists; whether it is on sale is the purchase service's decision (a clear message)."""
    product = Product.objects.select_related("partner").filter(pk=product_id).first()
    if product is None:
        raise Http404("no such product")
    return product


def get_desk_partners(user) -> list[Partner]:
    """The partners whose desk the user works at: the cashier role AND a link to the partner."""
    if not roles.is_cashier(user):
        raise PermissionDenied("cashier role needed")
    partners = list(Partner.objects.filter(cashiers=user).order_by("name"))
    if not partners:
        raise PermissionDenied("not a cashier of any partner")
    return partners


def get_desk_partner(user, partner_slug: str | None) -> Partner:
    """The desk's partner: the chosen one, or the only one. A partner the user is not linked to is a 404."""
    partners = get_desk_partners(user)
    if not partner_slug:
        return partners[0]
    for partner in partners:
        if partner.slug == partner_slug:
            return partner
    raise Http404("not your partner")


def settlement_partners(user) -> list[Partner]:
    """Partners whose settlement the user may read: all for a city administrator, own ones for a cashier."""
    if roles.is_city_admin(user):
        return list(Partner.objects.order_by("name"))
    if roles.is_cashier(user):
        partners = list(Partner.objects.filter(cashiers=user).order_by("name"))
        if partners:
            return partners
    raise PermissionDenied("settlement is for city administrators and the partner's cashiers")


def get_settlement_partner(user, partner_slug: str | None) -> Partner:
    partners = settlement_partners(user)
    if not partner_slug:
        if not partners:
            raise Http404("no partners")
        return partners[0]
    for partner in partners:
        if partner.slug == partner_slug:
            return partner
    raise Http404("no such partner for this user")
