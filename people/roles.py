"""Staff roles: Django groups with permissions. Nothing checks is_superuser for business rights."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    group: str
    label: object
    permissions: tuple[str, ...]


PUBLISHER = Role("Task publishers", _("Task publisher"), ("people.publish_tasks",))
VERIFIER = Role("Verifiers", _("Verifier"), ("people.verify_proofs",))
CASHIER = Role("Partner cashiers", _("Partner cashier"), ("people.redeem_vouchers",))
# What a city administrator edits in the admin is data (DESIGN.md): configuration models can be added and
# changed; records made by the services (tasks, proofs, vouchers, top-ups, notices) can only be looked at.
_CONFIGURATION = (
    "people.department",
    "people.user",
    "tasks.category",
    "tasks.marketrule",
    "tasks.taskpolicy",
    "tasks.tasktemplate",
    "verification.riskpolicy",
    "vouchers.partner",
    "vouchers.partnertoken",
    "vouchers.product",
)
_RECORDS = (
    "tasks.task",
    "tasks.claim",
    "tasks.screeningdecision",
    "tasks.screeningoverride",
    "verification.proof",
    "verification.decision",
    "verification.appeal",
    "verification.dispute",
    "vouchers.voucher",
    "payments.topup",
    "payments.stripeevent",
    "notifications.notification",
)


def _model_permissions(labels: tuple[str, ...], actions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{label.split('.')[0]}.{action}_{label.split('.')[1]}" for label in labels for action in actions)


CITY_ADMIN = Role(
    "City administrators",
    _("City administrator"),
    ("people.administer_city", "people.publish_tasks", "people.verify_proofs")
    + _model_permissions(_CONFIGURATION, ("view", "add", "change"))
    + _model_permissions(_RECORDS, ("view",)),
)
ROLES = (PUBLISHER, VERIFIER, CASHIER, CITY_ADMIN)


def _has(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(perm))


def is_publisher(user) -> bool:
    return _has(user, "people.publish_tasks")


def is_verifier(user) -> bool:
    return _has(user, "people.verify_proofs")


def is_cashier(user) -> bool:
    return _has(user, "people.redeem_vouchers")


def is_city_admin(user) -> bool:
    return _has(user, "people.administer_city")


def is_staff_member(user) -> bool:
    return is_publisher(user) or is_verifier(user) or is_cashier(user) or is_city_admin(user)
