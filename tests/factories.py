"""Small factory functions for tests."""

from __future__ import annotations

import itertools

from allauth.account.models import EmailAddress

from people.models import User

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_user(
    email: str | None = None, *, role=None, departments=(), verified: bool = True, mfa: bool | None = None, **fields
) -> User:
    """A user with a verified e-mail; staff (with a role) get a TOTP authenticator unless mfa=False."""
    from people.services import assign_role, ensure_totp

    number = next(_counter)
    email = email or f"user{number}@example.fi"
    fields.setdefault("display_name", email.split("@")[0].title())
    fields.setdefault("handle", f"{email.split('@')[0].replace('.', '-')}-{number}")
    user = User.objects.create_user(email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if role is not None:
        assign_role(user=user, role=role)
    if departments:
        user.departments.add(*departments)
    if mfa if mfa is not None else role is not None:
        ensure_totp(user=user)
    return user
