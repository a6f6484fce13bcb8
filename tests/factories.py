"""Small factory functions for tests."""

from __future__ import annotations

import itertools

from allauth.account.models import EmailAddress

from people.models import User

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_user(email: str | None = None, *, role=None, departments=(), verified: bool = True, **fields) -> User:
    from people.services import assign_role

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
    return user
