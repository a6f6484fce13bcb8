"""Residents' data rights: what eRaha holds about a person (export) and account deletion.

Deletion writes other apps' data only through their services: people.services.pseudonymise_user,
verification.services.delete_resident_photos, notifications.services.delete_notifications and
wallet.services.close_wallet. No ledger entry is written or
touched, so `manage.py ledger_audit` stays clean.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from notifications import services as notification_services
from notifications.models import Notification
from payments.models import OPEN_STATUSES, TopUp
from people import roles
from people.services import pseudonymise_user
from reports.exceptions import DeletionRefused
from tasks.models import Claim, Task
from verification import services as verification_services
from verification.models import Appeal, Dispute, Proof
from vouchers.models import Voucher
from wallet import services as wallet_services
from wallet.exceptions import LedgerError
from wallet.models import Account, AccountKind, Entry


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_user_data(*, user) -> dict:
    """Everything eRaha keeps about `user`: profile, claims, proofs and decisions, transactions, vouchers
    and the tasks they posted. Plain JSON types; the HTML page renders the same dict."""
    account = Account.objects.filter(kind=AccountKind.WALLET, owner_key=f"user:{user.pk}").first()
    entries = (
        Entry.objects.filter(account=account).select_related("transaction").order_by("account_version")
        if account
        else Entry.objects.none()
    )
    proofs = Proof.objects.filter(resident=user).select_related("task").prefetch_related("decisions", "photos")
    return {
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "handle": user.handle,
            "neighbourhood": user.neighbourhood,
            "preferred_language": user.preferred_language,
            "email_notifications": user.email_notifications,
            "joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "wallet": {"balance_cents": account.balance if account else 0, "closed": account.closed if account else False},
        "transactions": [
            {
                "id": entry.transaction_id,
                "time": _iso(entry.transaction.created_at),
                "code": entry.transaction.code,
                "description": str(entry.transaction.get_code_display()),
                "memo": entry.transaction.memo,
                "amount_cents": entry.amount,
                "balance_after_cents": entry.balance_after,
            }
            for entry in entries
        ],
        "claims": [
            {
                "id": claim.pk,
                "task": claim.task.title,
                "task_id": claim.task_id,
                "status": claim.status,
                "status_text": str(claim.get_status_display()),
                "reward_cents": claim.reward_cents,
                "claimed_at": _iso(claim.claimed_at),
                "submitted_at": _iso(claim.submitted_at),
                "ended_at": _iso(claim.ended_at),
            }
            for claim in Claim.objects.filter(resident=user).select_related("task").order_by("claimed_at")
        ],
        "proofs": [
            {
                "id": proof.pk,
                "task": proof.task.title,
                "status": proof.status,
                "status_text": str(proof.get_status_display()),
                "note": proof.note,
                "submitted_at": _iso(proof.submitted_at),
                "decided_at": _iso(proof.decided_at),
                "photos": [
                    {
                        "taken_at": _iso(photo.taken_at),
                        "latitude": photo.latitude,
                        "longitude": photo.longitude,
                        "stored": bool(photo.display),
                    }
                    for photo in proof.photos.all()
                ],
                "decisions": [
                    {
                        "how": decision.how,
                        "how_text": str(decision.get_how_display()),
                        "outcome": decision.outcome,
                        "outcome_text": str(decision.get_outcome_display()),
                        "reason": str(decision.get_reason_code_display()) if decision.reason_code else "",
                        "message": decision.message,
                        "time": _iso(decision.created_at),
                    }
                    for decision in proof.decisions.all()
                ],
            }
            for proof in proofs.order_by("submitted_at")
        ],
        "vouchers": [
            {
                "product": voucher.product.name,
                "partner": voucher.partner.name,
                "status": voucher.status,
                "status_text": str(voucher.get_status_display()),
                "price_cents": voucher.price,
                "bought": _iso(voucher.purchased_at),
                "valid_until": _iso(voucher.expires_at),
                "used": _iso(voucher.redeemed_at),
            }
            for voucher in Voucher.objects.filter(resident=user).select_related("product", "partner").order_by("pk")
        ],
        "top_ups": [
            {
                "created": _iso(top_up.created_at),
                "euros_cents": top_up.eur_cents,
                "eraha_cents": top_up.eraha_cents,
                "status": top_up.status,
                "status_text": str(top_up.get_status_display()),
            }
            for top_up in TopUp.objects.filter(resident=user).order_by("pk")
        ],
        "notifications": [
            {"time": _iso(notice.created_at), "text": notice.text, "read": notice.is_read}
            for notice in Notification.objects.filter(recipient=user).order_by("created_at", "pk")
        ],
        "posted_tasks": [
            {
                "id": task.pk,
                "title": task.title,
                "status": task.status,
                "status_text": str(task.get_status_display()),
                "reward_cents": task.reward_cents,
            }
            for task in Task.objects.filter(poster=user).order_by("pk")
        ],
    }


def deletion_blockers(*, user, now: datetime) -> list[str]:
    """Why the account cannot be deleted now, in words the resident can act on; empty when it can."""
    reasons = []
    if roles.is_staff_member(user) or user.is_staff:
        reasons.append(_("Staff accounts are removed by the city's administrator."))
    if Claim.objects.filter(resident=user, status__in=Claim.HOLDING).exists():
        reasons.append(_("You have claimed tasks that are not finished. Finish them or give them up."))
    if (
        Proof.objects.filter(resident=user, status__in=Proof.OPEN).exists()
        or Appeal.objects.filter(resident=user, status=Appeal.Status.OPEN).exists()
        or Dispute.objects.filter(opened_by=user, status=Dispute.Status.OPEN).exists()
    ):
        reasons.append(_("Some of your proofs, appeals or disputes are still waiting for a decision."))
    posted = Task.objects.filter(poster=user, status__in=[Task.Status.SCREENING, Task.Status.OPEN, Task.Status.FULL])
    if posted.exists():
        reasons.append(_("You have neighbour tasks that are still open. Close or cancel them first."))
    if Proof.objects.filter(task__poster=user, status=Proof.Status.PEER_PENDING).exists():
        reasons.append(_("Neighbours are waiting for you to confirm their work."))
    if Voucher.objects.filter(resident=user, status=Voucher.Status.VALID).exists():
        reasons.append(_("You have vouchers that are still valid. Use them or wait until they expire."))
    open_top_ups = TopUp.objects.filter(resident=user, status__in=OPEN_STATUSES)
    if open_top_ups.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).exists():
        # A card payment could still arrive and credit a wallet that is about to be closed.
        reasons.append(_("A card top-up is still waiting for payment. Wait until it is paid or has expired."))
    if wallet_services.wallet_balance(user=user) != 0:
        reasons.append(
            _(
                "Your wallet still holds eRaha. eRaha cannot be changed back into euros: spend it on a voucher "
                "or send it to a neighbour first."
            )
        )
    return reasons


def delete_account(*, user, now: datetime) -> None:
    """Pseudonymises `user`, deletes their photos and closes their empty wallet, or raises DeletionRefused
    with every reason. Ledger rows are never touched. Runs inside atomic(); the wallet is locked by
    close_wallet, which refuses again if money arrived after the checks."""
    reasons = deletion_blockers(user=user, now=now)
    if reasons:
        raise DeletionRefused(reasons)
    with transaction.atomic():
        try:
            wallet_services.close_wallet(user=user)
        except LedgerError:
            raise DeletionRefused([_("Your wallet still holds eRaha.")]) from None
        verification_services.delete_resident_photos(resident=user, now=now)
        notification_services.delete_notifications(user=user)
        pseudonymise_user(user=user)
