"""Reads for the wallet pages: the statement (keyset pagination) and labels for who is on the other side."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Sum
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from wallet.ledger import wallet_ref
from wallet.models import Account, AccountKind, Entry


@dataclass
class StatementRow:
    entry: Entry
    what: str
    who: str


@dataclass
class StatementPage:
    rows: list[StatementRow]
    next_before: int | None  # account_version to continue from, None on the last page


def wallet_account(user) -> Account | None:
    ref = wallet_ref(user)
    return Account.objects.filter(kind=ref.kind, owner_key=ref.owner_key).first()


def user_labels(ids: list[str]) -> dict[str, str]:
    from people.models import User

    users = User.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()]).only("display_name", "email")
    return {str(user.pk): user.public_name for user in users}


def department_labels(ids: list[str]) -> dict[str, str]:
    from people.models import Department

    return {str(d.pk): d.name for d in Department.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])}


def owner_labels(accounts: list[Account]) -> dict[int, str]:
    """A readable name for each account: one query per owner type, whatever the number of accounts.

    Apps register a labeller for their prefix in settings.WALLET_OWNER_LABELS ("task", "partner", ...).
    """
    fixed = {
        AccountKind.CITY_ISSUANCE: _("City of Imatra"),
        AccountKind.CARD_ISSUANCE: _("Card top-up"),
    }
    by_prefix: dict[str, set[str]] = {}
    for account in accounts:
        prefix, _sep, ident = account.owner_key.partition(":")
        by_prefix.setdefault(prefix, set()).add(ident)
    resolved: dict[str, dict[str, str]] = {}
    for prefix, ids in by_prefix.items():
        dotted = settings.WALLET_OWNER_LABELS.get(prefix)
        if dotted:
            resolved[prefix] = import_string(dotted)(sorted(ids))
    labels = {}
    for account in accounts:
        if account.kind in fixed:
            labels[account.pk] = str(fixed[account.kind])
            continue
        prefix, _sep, ident = account.owner_key.partition(":")
        default = {
            "task": _("Task %(id)s") % {"id": ident},
            "partner": _("Partner %(id)s") % {"id": ident},
        }.get(prefix, account.owner_key)
        labels[account.pk] = resolved.get(prefix, {}).get(ident, default)
    return labels


def statement(*, account: Account | None, before: int | None = None, size: int | None = None) -> StatementPage:
    """Newest first, `size` entries older than version `before`; constant queries whatever the history."""
    size = size or settings.WALLET_STATEMENT_PAGE_SIZE
    if account is None:
        return StatementPage(rows=[], next_before=None)
    entries = Entry.objects.filter(account=account).select_related("transaction")
    if before is not None:
        entries = entries.filter(account_version__lt=before)
    page = list(entries.order_by("-account_version")[: size + 1])
    more = len(page) > size
    page = page[:size]
    others = (
        Entry.objects.filter(transaction_id__in=[e.transaction_id for e in page])
        .exclude(account_id=account.pk)
        .select_related("account")
        .order_by("pk")
    )
    counterpart: dict[int, Account] = {}
    for other in others:
        counterpart.setdefault(other.transaction_id, other.account)
    labels = owner_labels(list(counterpart.values()))
    rows = []
    for entry in page:
        transaction = entry.transaction
        other = counterpart.get(entry.transaction_id)
        rows.append(
            StatementRow(
                entry=entry,
                what=transaction.get_code_display(),
                who=labels.get(other.pk, "") if other else "",
            )
        )
    return StatementPage(rows=rows, next_before=page[-1].account_version if more else None)


def reserved_for_tasks(*, user) -> int:
    """eRaha of this resident held in escrow for their own peer tasks (pending, not spent)."""
    account = wallet_account(user)
    if account is None:
        return 0
    total = Account.objects.filter(kind=AccountKind.ESCROW, funded_from=account, closed=False).aggregate(
        total=Sum(F("credits_posted") - F("debits_posted"))
    )["total"]
    return total or 0


def pending_items(*, user) -> list[dict]:
    """Money on its way to or from the resident: reserved escrow, plus what apps add through
    settings.WALLET_PENDING_PROVIDERS (functions user -> list of {"label": str, "amount": cents})."""
    items = []
    reserved = reserved_for_tasks(user=user)
    if reserved:
        items.append({"label": _("Reserved for your tasks"), "amount": reserved})
    for dotted in settings.WALLET_PENDING_PROVIDERS:
        items.extend(import_string(dotted)(user))
    return items
