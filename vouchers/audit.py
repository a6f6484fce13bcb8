"""Ledger audit check of vouchers (listed in settings.LEDGER_AUDIT_CHECKS)."""

from __future__ import annotations

from django.db.models import Sum


def check_vouchers_equal_liability() -> list:
    """Issued, unredeemed vouchers equal the partner voucher liability: for every partner, the prices of its
    vouchers still in status "valid" (expired ones too, until the sweep closes them) add up to the balance
    of its voucher liability account. Only partners that exist in vouchers are compared: the ledger's own
    tests post to "partner:N" accounts without any Partner behind them.
    """
    from vouchers.models import Partner, Voucher
    from wallet.audit import Violation
    from wallet.models import Account, AccountKind

    issued = {
        f"partner:{row['partner']}": row["total"]
        for row in Voucher.objects.filter(status=Voucher.Status.VALID)
        .values("partner")
        .annotate(total=Sum("price"))
        .order_by()
    }
    liability = {
        owner_key: credits - debits
        for owner_key, credits, debits in Account.objects.filter(kind=AccountKind.VOUCHER_LIABILITY).values_list(
            "owner_key", "credits_posted", "debits_posted"
        )
    }
    partners = {f"partner:{pk}" for pk in Partner.objects.values_list("pk", flat=True)}
    rows = [
        {"partner": key, "issued_unredeemed": issued.get(key, 0), "liability": liability.get(key, 0)}
        for key in sorted(partners)
        if issued.get(key, 0) != liability.get(key, 0)
    ]
    if not rows:
        return []
    return [
        Violation("vouchers_equal_liability", "Issued unredeemed vouchers differ from the voucher liability.", rows)
    ]
