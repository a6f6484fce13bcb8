from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eraha.ratelimit import rate_limit
from payments import selectors, services
from payments.access import get_top_up_for_user, require_reconciliation_access, top_ups_enabled
from payments.exceptions import StripeUnavailable, TopUpError, WebhookRejected
from payments.forms import TopUpForm
from payments.limits import Limits
from wallet.services import wallet_balance

logger = logging.getLogger(__name__)


def _wallet_url() -> str | None:
    try:
        return reverse("wallet:home")
    except NoReverseMatch:
        return None


@top_ups_enabled
@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("top_ups")
def top_up(request):
    now = timezone.now()
    limits = Limits.from_settings()
    month_left = limits.month_left(month_total=services.month_total(resident=request.user, now=now))
    form = TopUpForm(request.POST if request.method == "POST" else None, limits=limits, month_left=month_left)
    if request.method == "POST" and form.is_valid():
        status_url = request.build_absolute_uri(reverse("payments:status", args=[0])).replace("/0/", "/{id}/")
        cancel_url = request.build_absolute_uri(reverse("payments:cancelled", args=[0])).replace("/0/", "/{id}/")
        try:
            started = services.start_top_up(
                resident=request.user,
                eur_cents=form.cleaned_data["eur_cents"],
                success_url=status_url,
                cancel_url=cancel_url,
                language=translation.get_language(),
                now=now,
                limits=limits,
            )
        except StripeUnavailable as exc:
            messages.error(request, exc.message)
        except TopUpError as exc:  # amount outside the limits, or over the month's limit
            form.add_error(None, exc.message)
        else:
            return redirect(started.checkout_url)
    context = {
        "form": form,
        "limits": limits,
        "month_left": month_left,
        "rate_eraha_cents": limits.eraha_for(100),
        "balance": wallet_balance(user=request.user),
        "recent": request.user.top_ups.all()[:5],
    }
    return render(request, "payments/top_up.html", context)


@top_ups_enabled
@login_required
@require_GET
def preview(request):
    """htmx: the eRaha a typed custom amount buys (empty when it is not a valid amount)."""
    limits = Limits.from_settings()
    form = TopUpForm(
        {"amount": "custom", "custom_amount": request.GET.get("custom_amount", "")},
        limits=limits,
        month_left=limits.monthly,
    )
    eraha = limits.eraha_for(form.cleaned_data["eur_cents"]) if form.is_valid() else None
    return render(request, "payments/_preview.html", {"eraha_cents": eraha})


@top_ups_enabled
@login_required
@require_GET
def status(request, top_up_id: int):
    """Stripe's success page lands here: the truth about the top-up, polled with htmx until it settles."""
    top_up = get_top_up_for_user(request.user, top_up_id)
    template = "payments/_status.html" if request.htmx else "payments/status.html"
    return render(request, template, {"top_up": top_up, "wallet_url": _wallet_url()})


@top_ups_enabled
@login_required
@require_GET
def cancelled(request, top_up_id: int):
    top_up = get_top_up_for_user(request.user, top_up_id)
    return render(request, "payments/cancelled.html", {"top_up": top_up})


@top_ups_enabled
@login_required
@require_GET
def reconciliation(request):
    require_reconciliation_access(request.user)
    now = timezone.localtime()
    try:
        year = int(request.GET.get("year", now.year))
    except ValueError:
        year = now.year
    if not 2000 <= year <= now.year + 1:
        year = now.year
    report = selectors.reconciliation(year=year)
    return render(
        request, "payments/reconciliation.html", {"report": report, "years": range(now.year, now.year - 5, -1)}
    )


@csrf_exempt
@top_ups_enabled
@require_POST
def webhook(request):
    """Stripe's signed events. 200 once stored (also for replays and events we do not act on); 400 for
    anything refused, with nothing written; 503 when the database fails, so Stripe retries later."""
    try:
        payload = request.body
    except RequestDataTooBig:
        return HttpResponse("refused: too large", status=400, content_type="text/plain")
    try:
        event = services.handle_webhook(
            payload=payload, signature=request.headers.get("Stripe-Signature"), now=timezone.now()
        )
    except WebhookRejected as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return HttpResponse(f"refused: {exc}", status=400, content_type="text/plain")
    except DatabaseError:
        logger.exception("Stripe webhook could not be stored; Stripe will retry")
        return HttpResponse("try again", status=503, content_type="text/plain")
    except Exception:
        # Never a 500 to Stripe: nothing was committed, and a retry later may succeed after a fix.
        logger.exception("Stripe webhook failed unexpectedly; Stripe will retry")
        return HttpResponse("try again", status=503, content_type="text/plain")
    return HttpResponse(event.outcome or "stored", content_type="text/plain")
