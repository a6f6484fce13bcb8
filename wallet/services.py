"""The wallet API every app codes against (see the brief's contract). All amounts are integer cents.

Every function takes keyword-only arguments, runs in its own transaction.atomic() (a savepoint inside an
outer one) and is idempotent on idempotency_key: the same key with the same request returns the same
Transaction, the same key with a different request raises IdempotencyConflict. Money moves only through
wallet.ledger.post_transaction.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from people import roles
from wallet.exceptions import (
    AccountClosed,
    EscrowAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    LimitExceeded,
    SelfPayment,
    UnknownRecipient,
)
from wallet.ledger import (
    CARD_ISSUANCE,
    CITY_ISSUANCE,
    AccountRef,
    Leg,
    budget_ref,
    check_amount,
    escrow_ref,
    find_replay,
    fingerprint,
    liability_ref,
    lock_accounts,
    payable_ref,
    post_transaction,
    transfer_legs,
    wallet_ref,
)
from wallet.models import Account, AccountKind, Entry, Transaction, TransactionCode

__all__ = [
    "post_transaction",
    "wallet_balance",
    "department_balance",
    "escrow_balance",
    "fund_department",
    "fund_task_escrow",
    "pay_task_reward",
    "refund_task_escrow",
    "pay_neighbour",
    "neighbour_sending_left",
    "buy_voucher",
    "redeem_voucher_value",
    "refund_voucher",
    "credit_card_top_up",
    "reverse_transaction",
]


# --- Balances --------------------------------------------------------------------------------------


def _balance(ref: AccountRef) -> int:
    row = Account.objects.filter(kind=ref.kind, owner_key=ref.owner_key).values_list("credits_posted", "debits_posted")
    for credits, debits in row:
        return credits - debits
    return 0


def wallet_balance(*, user) -> int:
    return _balance(wallet_ref(user))


def department_balance(*, department) -> int:
    return _balance(budget_ref(department))


def escrow_balance(*, task_key: str) -> int:
    return _balance(escrow_ref(task_key))


# --- Helpers ---------------------------------------------------------------------------------------


def _transfer(
    *,
    code,
    source: AccountRef,
    destination: AccountRef,
    amount: int,
    idempotency_key: str,
    memo="",
    actor=None,
    now=None,
) -> Transaction:
    check_amount(amount)
    return post_transaction(
        code=code,
        legs=transfer_legs(source, destination, amount),
        idempotency_key=idempotency_key,
        memo=memo,
        actor=actor,
        now=now,
    )


def _replay(*, code, legs, idempotency_key: str, memo="", actor=None) -> Transaction | None:
    return find_replay(
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(code=code, legs=legs, memo=memo, actor_id=actor.pk if actor else None),
    )


def _require_city_admin(actor) -> None:
    if not roles.is_city_admin(actor):
        raise PermissionDenied("Only a city administrator may do this.")


# --- City budgets and task escrow ------------------------------------------------------------------


def fund_department(*, department, amount: int, actor, idempotency_key: str) -> Transaction:
    """City issuance → department budget. `actor` is a city administrator (None only for system jobs)."""
    if actor is not None:
        _require_city_admin(actor)
    return _transfer(
        code=TransactionCode.FUND_DEPARTMENT,
        source=CITY_ISSUANCE,
        destination=budget_ref(department),
        amount=amount,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def fund_task_escrow(
    *, task_key: str, amount: int, idempotency_key: str, department=None, poster=None, actor=None
) -> Transaction:
    """Budget or the poster's wallet → escrow of task_key; the escrow remembers its source for refunds.

    Runs inside atomic(); locks the escrow first, then (in post_transaction) source and escrow by pk.
    """
    if (department is None) == (poster is None):
        raise ValueError("Give exactly one of department or poster.")
    check_amount(amount)
    source = budget_ref(department) if department is not None else wallet_ref(poster)
    escrow = escrow_ref(task_key)
    legs = transfer_legs(source, escrow, amount)
    code = TransactionCode.FUND_ESCROW
    if (done := _replay(code=code, legs=legs, idempotency_key=idempotency_key, actor=actor)) is not None:
        return done
    with db_transaction.atomic():
        accounts = lock_accounts([escrow, source])
        escrow_account, source_account = accounts[escrow], accounts[source]
        if escrow_account.closed:
            raise EscrowAlreadyResolved()
        if escrow_account.funded_from_id is None:
            escrow_account.funded_from = source_account
            escrow_account.save(update_fields=["funded_from"])
        elif escrow_account.funded_from_id != source_account.pk:
            raise LedgerError("This task's escrow is funded from another account.")
        return post_transaction(code=code, legs=legs, idempotency_key=idempotency_key, actor=actor)


def _locked_escrow(task_key: str) -> Account:
    return lock_accounts([escrow_ref(task_key)])[escrow_ref(task_key)]


def pay_task_reward(*, task_key: str, resident, amount: int, idempotency_key: str, actor=None) -> Transaction:
    """Escrow → the resident's wallet. Runs inside atomic(); locks the escrow, then both accounts by pk."""
    check_amount(amount)
    legs = transfer_legs(escrow_ref(task_key), wallet_ref(resident), amount)
    code = TransactionCode.PAY_REWARD
    if (done := _replay(code=code, legs=legs, idempotency_key=idempotency_key, actor=actor)) is not None:
        return done
    with db_transaction.atomic():
        if _locked_escrow(task_key).closed:
            raise EscrowAlreadyResolved()
        return post_transaction(code=code, legs=legs, idempotency_key=idempotency_key, actor=actor)


def refund_task_escrow(
    *, task_key: str, idempotency_key: str, amount: int | None = None, actor=None
) -> Transaction | None:
    """Escrow → where its money came from. amount=None returns everything left and closes the escrow
    (at most once: a second full refund raises EscrowAlreadyResolved); None is returned when nothing was
    left to move. Runs inside atomic(); locks the escrow, then escrow and source by pk."""
    if amount is not None:
        check_amount(amount)
    escrow = escrow_ref(task_key)
    code = TransactionCode.REFUND_ESCROW

    def replayed() -> Transaction | None:
        existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            return None
        legs = list(existing.entries.select_related("account"))
        escrow_leg = [e for e in legs if (e.account.kind, e.account.owner_key) == (escrow.kind, escrow.owner_key)]
        if existing.code != code or not escrow_leg or (amount is not None and escrow_leg[0].amount != -amount):
            raise IdempotencyConflict()
        return existing

    if (done := replayed()) is not None:
        return done
    with db_transaction.atomic():
        account = _locked_escrow(task_key)
        if account.closed:
            # A concurrent request with the same key may have closed it while this one waited for the lock.
            if (done := replayed()) is not None:
                return done
            raise EscrowAlreadyResolved()
        close = amount is None
        if close:
            amount = account.balance
            if amount == 0:
                Account.objects.filter(pk=account.pk, closed=False).update(closed=True)
                return None
        if account.funded_from_id is None:
            raise InsufficientFunds()
        source = account.funded_from
        posted = post_transaction(
            code=code,
            legs=transfer_legs(escrow, AccountRef(source.kind, source.owner_key), amount),
            idempotency_key=idempotency_key,
            actor=actor,
        )
        if close:
            Account.objects.filter(pk=account.pk).update(closed=True)
        return posted


# --- Neighbours ------------------------------------------------------------------------------------


def _local_day_and_month_start(now) -> tuple[datetime.datetime, datetime.datetime]:
    local = timezone.localtime(now)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


def _sent_since(account: Account, since) -> int:
    total = Entry.objects.filter(
        account=account,
        amount__lt=0,
        transaction__code=TransactionCode.PAY_NEIGHBOUR,
        transaction__created_at__gte=since,
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or 0)


def neighbour_sending_left(*, sender, now) -> int:
    """How many cents the sender may still send to neighbours today (the smaller of day and month room)."""
    account = Account.objects.filter(kind=AccountKind.WALLET, owner_key=wallet_ref(sender).owner_key).first()
    day, month = _local_day_and_month_start(now)
    sent_day = _sent_since(account, day) if account else 0
    sent_month = _sent_since(account, month) if account else 0
    return max(
        0,
        min(settings.WALLET_NEIGHBOUR_DAILY_LIMIT - sent_day, settings.WALLET_NEIGHBOUR_MONTHLY_LIMIT - sent_month),
    )


def pay_neighbour(*, sender, recipient, amount: int, memo: str, idempotency_key: str, now) -> Transaction:
    """Wallet → wallet with a memo, within the per-day and per-month sending limits.

    Runs inside atomic(); locks the sender's wallet first (so the limit check and the posting see the same
    history), then both wallets by pk.
    """
    check_amount(amount)
    if recipient is None:
        raise UnknownRecipient()
    if recipient.pk == sender.pk:
        raise SelfPayment()
    memo = (memo or "").strip()
    if len(memo) > 200:
        raise LedgerError()
    legs = transfer_legs(wallet_ref(sender), wallet_ref(recipient), amount)
    code = TransactionCode.PAY_NEIGHBOUR
    if (done := _replay(code=code, legs=legs, idempotency_key=idempotency_key, memo=memo, actor=sender)) is not None:
        return done
    if not recipient.is_active or not sender.is_active:
        raise AccountClosed()
    with db_transaction.atomic():
        accounts = lock_accounts([wallet_ref(sender), wallet_ref(recipient)], now=now)
        sender_account = accounts[wallet_ref(sender)]
        if accounts[wallet_ref(recipient)].closed:
            raise AccountClosed()
        if sender_account.balance < amount:
            raise InsufficientFunds()
        day, month = _local_day_and_month_start(now)
        if _sent_since(sender_account, day) + amount > settings.WALLET_NEIGHBOUR_DAILY_LIMIT:
            raise LimitExceeded()
        if _sent_since(sender_account, month) + amount > settings.WALLET_NEIGHBOUR_MONTHLY_LIMIT:
            raise LimitExceeded()
        posted = post_transaction(
            code=code, legs=legs, idempotency_key=idempotency_key, memo=memo, actor=sender, now=now
        )
        _notify_credit(
            resident=recipient,
            transaction=posted,
            kind="payment_received",
            params={"sender": sender.public_name, "amount": amount, "memo": memo},
        )
        return posted


# --- Vouchers and top-ups --------------------------------------------------------------------------


def buy_voucher(*, resident, partner_key: str, amount: int, idempotency_key: str, memo: str = "") -> Transaction:
    """Resident wallet → the partner's voucher liability."""
    return _transfer(
        code=TransactionCode.BUY_VOUCHER,
        source=wallet_ref(resident),
        destination=liability_ref(partner_key),
        amount=amount,
        idempotency_key=idempotency_key,
        memo=memo,
        actor=resident,
    )


def redeem_voucher_value(*, partner_key: str, amount: int, idempotency_key: str) -> Transaction:
    """Voucher liability → partner payable (the city settles it in euros)."""
    return _transfer(
        code=TransactionCode.REDEEM_VOUCHER,
        source=liability_ref(partner_key),
        destination=payable_ref(partner_key),
        amount=amount,
        idempotency_key=idempotency_key,
    )


def refund_voucher(*, partner_key: str, resident, amount: int, idempotency_key: str) -> Transaction:
    """Voucher liability → the resident's wallet (an expired, unused voucher)."""
    return _transfer(
        code=TransactionCode.REFUND_VOUCHER,
        source=liability_ref(partner_key),
        destination=wallet_ref(resident),
        amount=amount,
        idempotency_key=idempotency_key,
    )


def credit_card_top_up(*, resident, amount: int, idempotency_key: str) -> Transaction:
    """Card issuance → the resident's wallet (a paid Stripe Checkout session)."""
    posted = _transfer(
        code=TransactionCode.CARD_TOP_UP,
        source=CARD_ISSUANCE,
        destination=wallet_ref(resident),
        amount=amount,
        idempotency_key=idempotency_key,
    )
    _notify_credit(resident=resident, transaction=posted, kind="top_up_credited", params={"amount": amount})
    return posted


def _notify_credit(*, resident, transaction: Transaction, kind: str, params: dict) -> None:
    """Tells the resident about money in (notice and live balance), once per transaction: a replayed
    request finds the keyed notice and sends nothing again."""
    from notifications.services import notify

    notify(
        recipient=resident,
        kind=kind,
        params={**params, "balance": wallet_balance(user=resident)},
        link=reverse("wallet:transaction", args=[transaction.pk]),
        key=f"transaction:{transaction.pk}",
    )


# --- Corrections -----------------------------------------------------------------------------------


def reverse_transaction(*, transaction: Transaction, actor, reason: str, idempotency_key: str) -> Transaction:
    """Posts the mirror image of `transaction` (a city administrator's correction, with a reason).

    A transaction is reversed at most once and a reversal is not itself reversed; the reversal refuses to
    overdraw an account (e.g. a resident who already spent the money), so nothing goes negative.
    """
    _require_city_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError("A reason is required.")
    if transaction.code == TransactionCode.REVERSAL:
        raise LedgerError("A reversal cannot be reversed; post a new transaction instead.")
    legs = [
        Leg(AccountRef(entry.account.kind, entry.account.owner_key), -entry.amount)
        for entry in transaction.entries.select_related("account").order_by("pk")
    ]
    return post_transaction(
        code=TransactionCode.REVERSAL,
        legs=legs,
        idempotency_key=idempotency_key,
        memo=reason[:200],
        actor=actor,
        reverses=transaction,
    )


# --- Closing a wallet (account deletion) -------------------------------------------------------------


def close_wallet(*, user) -> bool:
    """Closes an empty resident wallet so nothing can be paid into it again (the ledger refuses postings to
    closed accounts). No entry is written. Raises LedgerError while the wallet holds eRaha: eRaha never
    turns back into euros, so a deleted person's balance would be a debt nobody could ever claim.
    Runs inside atomic(); locks the wallet account. Returns False when the person never had a wallet."""
    ref = wallet_ref(user)
    with db_transaction.atomic():
        account = Account.objects.select_for_update().filter(kind=ref.kind, owner_key=ref.owner_key).first()
        if account is None:
            return False
        if account.balance != 0:
            raise LedgerError("wallet is not empty")
        Account.objects.filter(pk=account.pk, closed=False).update(closed=True)
        return True
