from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from eraha.ratelimit import rate_limit
from wallet import selectors, services
from wallet.access import get_transaction_for_user
from wallet.exceptions import InsufficientFunds, LedgerError, LimitExceeded
from wallet.forms import SendForm
from wallet.money import format_eraha


def _before(request) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


@login_required
def home(request):
    account = selectors.wallet_account(request.user)
    page = selectors.statement(account=account, before=_before(request))
    if request.htmx and "before" in request.GET:
        return render(request, "wallet/_statement_rows.html", {"page": page})
    now = timezone.now()
    return render(
        request,
        "wallet/home.html",
        {
            "balance": account.balance if account else 0,
            "pending": selectors.pending_items(user=request.user),
            "sending_left": services.neighbour_sending_left(sender=request.user, now=now),
            "page": page,
            "first_page": _before(request) is None,
        },
    )


@login_required
@rate_limit("neighbour_payments")
def send(request):
    """Step 1 checks the form and shows the recipient's name; step 2 (confirm) pays, once per form key."""
    if request.method != "POST":
        return render(request, "wallet/send.html", {"form": SendForm(sender=request.user)})
    form = SendForm(request.POST, sender=request.user)
    if not form.is_valid():
        return render(request, "wallet/send.html", {"form": form}, status=400)
    data = form.cleaned_data
    if "confirm" not in request.POST:
        # Say it now rather than after the confirmation; the service checks again under the lock.
        if data["amount"] > services.wallet_balance(user=request.user):
            form.add_error("amount", str(InsufficientFunds().message))
        elif data["amount"] > services.neighbour_sending_left(sender=request.user, now=timezone.now()):
            form.add_error("amount", str(LimitExceeded().message))
        else:
            context = {"form": form, "recipient": data["recipient"], "data": data}
            return render(request, "wallet/send_confirm.html", context)
        return render(request, "wallet/send.html", {"form": form}, status=400)
    try:
        services.pay_neighbour(
            sender=request.user,
            recipient=data["recipient"],
            amount=data["amount"],
            memo=data["memo"],
            idempotency_key=f"neighbour:{request.user.pk}:{data['idempotency_key']}",
            now=timezone.now(),
        )
    except LedgerError as exc:
        form.add_error(None, str(exc.message))
        return render(request, "wallet/send.html", {"form": form}, status=400)
    messages.success(
        request,
        _("You sent %(amount)s to %(name)s.")
        % {"amount": format_eraha(data["amount"]), "name": data["recipient"].public_name},
    )
    return redirect("wallet:home")


@login_required
def transaction_detail(request, transaction_id: int):
    transaction = get_transaction_for_user(request.user, transaction_id)
    entries = list(transaction.entries.select_related("account").order_by("pk"))
    labels = selectors.owner_labels([entry.account for entry in entries])
    legs = [{"entry": entry, "who": labels[entry.account_id]} for entry in entries]
    return render(request, "wallet/transaction.html", {"transaction": transaction, "legs": legs})
