"""The eRaha ledger: accounts, transactions and their entries (double entry, integer cents, append-only).

Sign convention: an entry's amount is positive for a credit and negative for a debit, and an account's
balance is credits_posted - debits_posted. Every transaction's entries sum to zero, so the balances of
all accounts sum to zero: the issuance accounts go negative by exactly what the city has put out.
Entries and transactions are append-only; triggers in the database refuse UPDATE and DELETE
(migration 0002). Only wallet.ledger.post_transaction writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    WALLET = "wallet", _("resident wallet")
    BUDGET = "budget", _("department budget")
    ESCROW = "escrow", _("task escrow")
    VOUCHER_LIABILITY = "voucher_liability", _("partner voucher liability")
    PARTNER_PAYABLE = "partner_payable", _("partner payable")
    CITY_ISSUANCE = "city_issuance", _("city issuance")
    CARD_ISSUANCE = "card_issuance", _("card top-up issuance")


# The only kinds that may go below zero: they are where eRaha comes from.
ISSUANCE_KINDS = (AccountKind.CITY_ISSUANCE, AccountKind.CARD_ISSUANCE)
CITY_OWNER = "city"
CARD_OWNER = "card"


class TransactionCode(models.TextChoices):
    FUND_DEPARTMENT = "fund_department", _("Department funded")
    FUND_ESCROW = "fund_escrow", _("Task reward reserved")
    PAY_REWARD = "pay_reward", _("Task reward")
    REFUND_ESCROW = "refund_escrow", _("Task reserve returned")
    PAY_NEIGHBOUR = "pay_neighbour", _("Neighbour payment")
    BUY_VOUCHER = "buy_voucher", _("Voucher bought")
    REDEEM_VOUCHER = "redeem_voucher", _("Voucher redeemed")
    REFUND_VOUCHER = "refund_voucher", _("Voucher refunded")
    CARD_TOP_UP = "card_top_up", _("Card top-up")
    REVERSAL = "reversal", _("Reversal")
    TRANSFER = "transfer", _("Transfer")


class Account(models.Model):
    """One account of the ledger, keyed by kind and owner ("user:12", "department:3", "task:42", ...)."""

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    owner_key = models.CharField(_("owner"), max_length=64)
    debits_posted = models.BigIntegerField(_("debits posted (cents)"), default=0)
    credits_posted = models.BigIntegerField(_("credits posted (cents)"), default=0)
    version = models.BigIntegerField(_("version"), default=0)
    allow_negative = models.BooleanField(_("may go negative"), default=False)
    closed = models.BooleanField(_("closed"), default=False)
    # An escrow remembers the budget or wallet it was funded from, so a refund goes back there.
    funded_from = models.ForeignKey(
        "self", verbose_name=_("funded from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "owner_key"], name="wallet_account_kind_owner_unique"),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(credits_posted__gte=F("debits_posted")),
                name="wallet_account_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=False) | Q(kind__in=[k.value for k in ISSUANCE_KINDS]),
                name="wallet_account_negative_only_issuance",
            ),
            models.CheckConstraint(
                condition=Q(debits_posted__gte=0) & Q(credits_posted__gte=0) & Q(version__gte=0),
                name="wallet_account_counters_non_negative",
            ),
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="wallet_account_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.owner_key}"

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted


class Transaction(models.Model):
    """One business operation; its entries (at least two) sum to zero. Never updated or deleted."""

    code = models.CharField(_("code"), max_length=20, choices=TransactionCode.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        # Few indexes on purpose: every index is one more write per posting (see docs/ledger.md).
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="wallet_transaction_key_unique"),
            # A transaction is reversed at most once.
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="wallet_transaction_reverses_once"
            ),
            models.CheckConstraint(condition=Q(code__in=TransactionCode.values), name="wallet_transaction_code_valid"),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="wallet_transaction_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_code_display()}"


class Entry(models.Model):
    """One leg of a transaction on one account: signed cents, the account's version and balance after it."""

    transaction = models.ForeignKey(
        Transaction, verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="entries"
    )
    # No index of its own: the unique (account, account_version) index serves every lookup by account.
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount = models.BigIntegerField(_("amount (cents, credit positive)"))
    account_version = models.BigIntegerField(_("account version"))
    balance_after = models.BigIntegerField(_("balance after (cents)"))

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            # Also the index the statement pages walk (keyset pagination on account_version).
            models.UniqueConstraint(fields=["account", "account_version"], name="wallet_entry_account_version_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_entry_amount_not_zero"),
            models.CheckConstraint(condition=Q(account_version__gte=1), name="wallet_entry_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+d}"
