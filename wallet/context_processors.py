from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def header_balance(request):
    """The signed-in user's balance for the page header (one query, only when a template shows it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def _formatted() -> str:
        from wallet.money import format_eraha
        from wallet.services import wallet_balance

        return format_eraha(wallet_balance(user=user))

    return {"header_balance": SimpleLazyObject(_formatted)}
