"""The one access helper of the wallet pages."""

from __future__ import annotations

from django.http import Http404

from wallet.ledger import wallet_ref
from wallet.models import Transaction


def get_transaction_for_user(user, transaction_id: int) -> Transaction:
    """A transaction the user's own wallet took part in; 404 for anything else (no hint that it exists)."""
    ref = wallet_ref(user)
    found = (
        Transaction.objects.filter(
            pk=transaction_id, entries__account__kind=ref.kind, entries__account__owner_key=ref.owner_key
        )
        .select_related("actor")
        .first()
    )
    if found is None:
        raise Http404
    return found
