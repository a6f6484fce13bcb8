"""Resident pages (buy, my vouchers, the QR), the partner desk and the settlement report."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eraha.ratelimit import RateLimited, hit
from vouchers import access, selectors, services
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
from vouchers.formats import decimal_euros
from vouchers.forms import BuyForm, RedeemForm, SettlementForm, new_idempotency_key
from vouchers.qr import qr_svg


def _balance(user) -> int:
    from wallet.services import wallet_balance

    return wallet_balance(user=user)


@login_required
def product_list(request):
    balance = _balance(request.user)
    products = [
        {"product": product, "balance_after": balance - product.price, "affordable": product.price <= balance}
        for product in selectors.products_on_sale()
    ]
    return render(request, "vouchers/list.html", {"products": products, "balance": balance})


@login_required
@require_http_methods(["GET", "POST"])
def buy(request, product_id: int):
    product = access.get_product_for_sale(request.user, product_id)
    if request.method == "POST":
        form = BuyForm(request.POST)
        if form.is_valid():
            from wallet.exceptions import IdempotencyConflict, InsufficientFunds, LimitExceeded

            errors = {
                InsufficientFunds: (_("You do not have enough eRaha for this voucher."), "insufficient_funds"),
                ProductNotOnSale: (_("This product is not on sale."), "not_on_sale"),
                SoldOut: (_("This product is sold out."), "sold_out"),
                MonthlyLimitReached: (_("You have bought this month's limit of this product."), "monthly_limit"),
                PurchaseKeyReused: (_("This form was already used. Please try again."), "key_reused"),
                IdempotencyConflict: (_("This form was already used. Please try again."), "key_reused"),
                LimitExceeded: (_("The purchase is over a wallet limit."), "wallet_limit"),
            }
            try:
                voucher = services.buy_voucher(
                    resident=request.user,
                    product=product,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    now=timezone.now(),
                )
            except tuple(errors) as exc:
                message, code = errors[type(exc)]
                form.add_error(None, ValidationError(message, code=code))
            else:
                messages.success(request, _("Voucher bought: show its QR code at the desk."))
                return redirect("vouchers:detail", code=voucher.code)
        status = 400
    else:
        form = BuyForm(initial={"idempotency_key": new_idempotency_key()})
        status = 200
    balance = _balance(request.user)
    context = {"product": product, "form": form, "balance": balance, "balance_after": balance - product.price}
    return render(request, "vouchers/buy.html", context, status=status)


@login_required
def my_vouchers(request):
    now = timezone.now()
    grouped = selectors.resident_vouchers(resident=request.user, now=now)
    return render(request, "vouchers/mine.html", {"grouped": grouped, "now": now})


@login_required
def detail(request, code: str):
    """The QR for the desk: one self-contained page (inline SVG, no scripts) that stays readable offline."""
    voucher = access.get_voucher_for_resident(request.user, code)
    now = timezone.now()
    context = {
        "voucher": voucher,
        "state": voucher.state_at(now),
        "qr": qr_svg(voucher.code, label=_("QR code of voucher %(code)s") % {"code": voucher.display_code}),
    }
    response = render(request, "vouchers/detail.html", context)
    # The resident's own browser may keep the page, so it opens again without a network (never a shared cache).
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- Desk -----------------------------------------------------------------------------------------


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _desk_where(partner, user) -> str:
    return f"{partner.name} ({user.public_name})"


def _redeem_at_desk(*, request, partner, form) -> dict:
    """Runs the redemption and describes the outcome for the big result box."""
    now = timezone.now()
    try:
        hit(scope="desk_lookups", ident=request.user.pk)
        redemption = services.redeem_voucher(
            code=form.cleaned_data["code"],
            partner=partner,
            idempotency_key=f"desk:{request.user.pk}:{form.cleaned_data['idempotency_key']}",
            now=now,
            where=_desk_where(partner, request.user),
            cashier=request.user,
        )
    except RateLimited:
        return {
            "kind": "bad",
            "code": "rate_limited",
            "title": _("Too many attempts"),
            "detail": _("Wait a minute and try again."),
        }
    except VoucherNotFound:
        return {
            "kind": "bad",
            "code": "not_found",
            "title": _("Unknown code"),
            "detail": _("No voucher has this code."),
        }
    except VoucherOfAnotherPartner as exc:
        return {
            "kind": "bad",
            "code": "other_partner",
            "title": _("Another partner's voucher"),
            "detail": _("This voucher is for %(partner)s.") % {"partner": exc.voucher.partner.name},
        }
    except VoucherExpired as exc:
        return {
            "kind": "bad",
            "code": "expired",
            "title": _("Expired"),
            "detail": _("This voucher was valid until %(date)s.") % {"date": _when(exc.voucher.expires_at)},
            "voucher": exc.voucher,
        }
    except VoucherAlreadyRedeemed as exc:
        return {
            "kind": "warn",
            "code": "already_redeemed",
            "title": _("Already used"),
            "detail": _("Used on %(when)s at %(where)s.")
            % {
                "when": _when(exc.voucher.redeemed_at),
                "where": exc.voucher.redeemed_where,
            },
            "voucher": exc.voucher,
        }
    except RedemptionKeyReused:
        return {
            "kind": "bad",
            "code": "key_reused",
            "title": _("Please try again"),
            "detail": _("This form was already used."),
        }
    voucher = redemption.voucher
    return {
        "kind": "ok",
        "code": "redeemed",
        "title": _("Redeemed"),
        "detail": voucher.product.name,
        "voucher": voucher,
    }


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request):
    partners = access.get_desk_partners(request.user)
    partner = access.get_desk_partner(request.user, request.POST.get("partner") or request.GET.get("partner"))
    result = None
    status = 200
    if request.method == "POST":
        form = RedeemForm(request.POST)
        if form.is_valid():
            result = _redeem_at_desk(request=request, partner=partner, form=form)
            if result["kind"] != "ok":
                status = 409 if result["kind"] == "warn" else 400
        else:
            status = 400
            code_errors = form.errors.as_data().get("code", [])
            result = {
                "kind": "bad",
                "code": code_errors[0].code if code_errors else "invalid",
                "title": _("Check the code"),
                "detail": " ".join(error.messages[0] for error in code_errors),
            }
        # A fresh form for the next customer; the result stays on screen above it.
        form = RedeemForm(initial={"idempotency_key": new_idempotency_key()})
    else:
        form = RedeemForm(initial={"idempotency_key": new_idempotency_key()})
    context = {
        "partner": partner,
        "partners": partners,
        "form": form,
        "result": result,
        "today": selectors.todays_redemptions(partner=partner, now=timezone.now()),
    }
    if request.htmx and request.method == "POST":
        # htmx swaps only 2xx answers by default; the result box itself says what happened.
        return render(request, "vouchers/_desk_panel.html", context)
    return render(request, "vouchers/redeem.html", context, status=status)


# --- Settlement -----------------------------------------------------------------------------------


def _settlement_for(request):
    partner = access.get_settlement_partner(request.user, request.GET.get("partner"))
    form = SettlementForm(request.GET or None)
    period = None
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["month"]
    if period is None:
        local = timezone.localtime()
        period = (local.year, local.month)
    return partner, form, selectors.settlement(partner=partner, year=period[0], month=period[1])


@login_required
def settlement(request):
    partners = access.settlement_partners(request.user)
    partner, form, report = _settlement_for(request)
    status = 400 if form.is_bound and form.errors else 200
    context = {"partners": partners, "partner": partner, "form": form, "report": report}
    return render(request, "vouchers/settlement.html", context, status=status)


@login_required
def settlement_csv(request):
    partner, form, report = _settlement_for(request)
    if form.is_bound and form.errors:
        return HttpResponse(" ".join(form.errors["month"]), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"settlement-{partner.slug}-{report.period}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte order mark, so spreadsheet programs read the UTF-8 (ä, ö, å) correctly.
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["code", "product", "redeemed_at", "redeemed_where", "face_value_eur"])
    for voucher in report.vouchers:
        writer.writerow(
            [
                voucher.code,
                voucher.product.name,
                timezone.localtime(voucher.redeemed_at).isoformat(timespec="seconds"),
                voucher.redeemed_where,
                decimal_euros(voucher.face_value),
            ]
        )
    writer.writerow(
        ["TOTAL", f"{report.count} vouchers", report.period, partner.name, decimal_euros(report.total_face_value)]
    )
    return response
