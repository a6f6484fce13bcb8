"""Ledger errors. Views turn them into form errors or messages; the API into JSON errors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class LedgerError(Exception):
    """Base class of every ledger refusal; nothing was written when one is raised."""

    default_message = _("The payment could not be made.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class InvalidAmount(LedgerError):
    default_message = _("Enter an amount greater than zero with at most two decimals.")


class InsufficientFunds(LedgerError):
    default_message = _("There is not enough eRaha on the account.")


class IdempotencyConflict(LedgerError):
    default_message = _("This request was already used for a different payment.")


class AccountClosed(LedgerError):
    default_message = _("The account is closed.")


class LimitExceeded(LedgerError):
    default_message = _("The amount is over the sending limit.")


class SelfPayment(LedgerError):
    default_message = _("You cannot send eRaha to yourself.")


class UnknownRecipient(LedgerError):
    default_message = _("No resident was found with that e-mail address or handle.")


class EscrowAlreadyResolved(LedgerError):
    default_message = _("The task's reserved eRaha has already been paid out or returned.")


class AlreadyReversed(LedgerError):
    default_message = _("This transaction has already been reversed.")
