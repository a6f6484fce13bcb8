"""Notification kinds and their texts. Pure: no database, no request.

Each kind has a translatable text with named parameters. The text is rendered once, in the recipient's
language, when the notification is created (the caller of `render_text` activates that language).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Parameters whose value is an amount in integer cents of eRaha.
AMOUNT_PARAMS = frozenset({"amount", "balance"})


class Kind(models.TextChoices):
    PROOF_APPROVED = "proof_approved", _("Proof approved")
    PROOF_REJECTED = "proof_rejected", _("Proof rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    CLAIM_EXPIRING = "claim_expiring", _("Claim expiring")
    PEER_PROOF_WAITING = "peer_proof_waiting", _("Proof waiting for your confirmation")
    VOUCHER_EXPIRING = "voucher_expiring", _("Voucher expiring")
    VOUCHER_REFUNDED = "voucher_refunded", _("Voucher refunded")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    TOP_UP_CREDITED = "top_up_credited", _("Top-up credited")
    TASK_BLOCKED = "task_blocked", _("Task blocked")
    TASK_IN_REVIEW = "task_in_review", _("Task sent to review")


TEXTS = {
    Kind.PROOF_APPROVED: _(
        "Your proof for “%(task)s” was approved and %(amount)s was paid to your wallet. "
        "Your balance is now %(balance)s."
    ),
    Kind.PROOF_REJECTED: _("Your proof for “%(task)s” was rejected: %(reason)s"),
    Kind.CHANGES_REQUESTED: _("The verifier asked for changes to your proof for “%(task)s”: %(note)s"),
    Kind.CLAIM_EXPIRING: _("Your claim on “%(task)s” expires at %(expires_at)s. Upload your proof before then."),
    Kind.PEER_PROOF_WAITING: _("%(resident)s sent a proof for your task “%(task)s”. Please confirm it."),
    Kind.VOUCHER_EXPIRING: _("Your voucher “%(product)s” expires at %(expires_at)s."),
    Kind.VOUCHER_REFUNDED: _("Your voucher “%(product)s” expired unused and %(amount)s was returned to your wallet."),
    Kind.PAYMENT_RECEIVED: _("%(sender)s sent you %(amount)s: %(memo)s"),
    Kind.TOP_UP_CREDITED: _("Your top-up of %(amount)s was credited to your wallet."),
    Kind.TASK_BLOCKED: _("Your task “%(task)s” was not published: %(reason)s"),
    Kind.TASK_IN_REVIEW: _("Your task “%(task)s” was sent to city staff for review before it is published."),
}

# A payment without a memo reads better without the trailing colon.
PAYMENT_WITHOUT_MEMO = _("%(sender)s sent you %(amount)s.")

# The events that matter when the resident is away get an e-mail too (if the resident wants e-mail).
EMAIL_KINDS = frozenset({Kind.PROOF_APPROVED, Kind.PROOF_REJECTED, Kind.CLAIM_EXPIRING, Kind.VOUCHER_EXPIRING})

EMAIL_SUBJECTS = {
    Kind.PROOF_APPROVED: pgettext_lazy("e-mail subject", "Your proof was approved"),
    Kind.PROOF_REJECTED: pgettext_lazy("e-mail subject", "Your proof was rejected"),
    Kind.CLAIM_EXPIRING: pgettext_lazy("e-mail subject", "Your claim expires soon"),
    Kind.VOUCHER_EXPIRING: pgettext_lazy("e-mail subject", "Your voucher expires soon"),
}


def format_eraha(cents: int) -> str:
    """12,50 eRaha in Finnish; the ledger's formatter when it is installed, the same format otherwise."""
    try:
        from wallet.money import format_eraha as ledger_format
    except ImportError:
        return f"{formats.number_format(Decimal(cents) / 100, decimal_pos=2, use_l10n=True)} eRaha"
    return ledger_format(cents)


def format_param(name: str, value) -> str:
    if name in AMOUNT_PARAMS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"Notification parameter {name!r} must be integer cents, got {value!r}.")
        return format_eraha(value)
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def render_text(kind: str, params: dict) -> str:
    """The notice text in the active language. Raises KeyError for a missing parameter or unknown kind."""
    kind = Kind(kind)
    template = TEXTS[kind]
    if kind == Kind.PAYMENT_RECEIVED and not params.get("memo"):
        template = PAYMENT_WITHOUT_MEMO
    formatted = {name: format_param(name, value) for name, value in params.items()}
    return str(template) % formatted


def email_subject(kind: str) -> str:
    return str(EMAIL_SUBJECTS.get(Kind(kind), Kind(kind).label))
