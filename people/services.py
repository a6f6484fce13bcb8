"""Every write to people's tables goes through these functions."""

from __future__ import annotations

import re
import secrets

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from people.models import Department, User
from people.roles import ROLES, Role


def ensure_role_groups() -> dict[str, Group]:
    """Creates the staff role groups with their permissions; safe to run any number of times."""
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.group)
        wanted = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
        groups[role.group] = group
    return groups


def assign_role(*, user: User, role: Role) -> None:
    ensure_role_groups()
    user.groups.add(Group.objects.get(name=role.group))


def _handle_base(email: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@", 1)[0].lower()).strip("-")[:24]
    return base or "asukas"


def unique_handle(email: str) -> str:
    base = _handle_base(email)
    candidate = base
    while User.objects.filter(handle=candidate).exists():
        candidate = f"{base}-{secrets.randbelow(9000) + 1000}"
    return candidate


def fill_new_user_defaults(*, user: User, language: str | None) -> None:
    """Gives a newly signed-up user a display name, a payment handle and their language."""
    if not user.display_name:
        user.display_name = user.email.split("@", 1)[0][:60]
    if not user.handle:
        user.handle = unique_handle(user.email)
    if language in {"fi", "sv", "en"}:
        user.preferred_language = language


@transaction.atomic
def update_profile(
    *,
    user: User,
    display_name: str,
    handle: str,
    preferred_language: str,
    neighbourhood: str,
    email_notifications: bool,
) -> User:
    user.display_name = display_name
    user.handle = handle
    user.preferred_language = preferred_language
    user.neighbourhood = neighbourhood
    user.email_notifications = email_notifications
    user.save(update_fields=["display_name", "handle", "preferred_language", "neighbourhood", "email_notifications"])
    return user


def set_preferred_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    user.preferred_language = language


def upsert_department(*, slug: str, name_fi: str, name_sv: str, name_en: str) -> Department:
    department, _ = Department.objects.update_or_create(
        slug=slug, defaults={"name_fi": name_fi, "name_sv": name_sv, "name_en": name_en}
    )
    return department


def record_staff_action(
    *, actor: User | None, action: str, target: str = "", reason: str = "", details: dict | None = None, now=None
):
    """Writes one row of the staff audit log. Call it inside the atomic block of the action it records."""
    from django.utils import timezone

    from people.models import StaffAction

    return StaffAction.objects.create(
        created_at=now or timezone.now(),
        actor=actor,
        action=action,
        target=target[:120],
        reason=reason,
        details=details or {},
    )


def ensure_totp(*, user: User) -> None:
    """Activates a TOTP authenticator with a fresh random secret unless the user already has one."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())


@transaction.atomic
def pseudonymise_user(*, user: User) -> None:
    """Replaces everything that names the person (e-mail, names, handle, neighbourhood), disables the login
    and removes the e-mail addresses and authenticators allauth keeps. The row stays, so the ledger, tasks
    and decisions that point at it keep their meaning."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.first_name = ""
    user.last_name = ""
    user.display_name = ""
    user.handle = None
    user.neighbourhood = ""
    user.email_notifications = False
    user.is_active = False
    user.is_staff = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "display_name",
            "handle",
            "neighbourhood",
            "email_notifications",
            "is_active",
            "is_staff",
            "password",
        ]
    )
    user.groups.clear()
    user.departments.clear()
