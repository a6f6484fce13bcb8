"""Demo city: departments, staff in each role and a few residents (see DESIGN.md's demo accounts)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import translation

from people import roles
from people.models import User
from people.services import assign_role, ensure_role_groups, ensure_totp, upsert_department

DEPARTMENTS = [
    ("parks", "Puistot ja viheralueet", "Parker och grönområden", "Parks and green areas"),
    ("youth", "Nuorisopalvelut", "Ungdomstjänster", "Youth services"),
    ("sports", "Liikuntapalvelut", "Idrottstjänster", "Sports services"),
    ("library", "Kirjasto", "Biblioteket", "Library"),
]

# email, display name, handle, language, neighbourhood, role, departments
ACCOUNTS = [
    ("asukas@example.fi", "Aino Asukas", "aino", "fi", "Mansikkala", None, []),
    ("naapuri@example.fi", "Niilo Naapuri", "niilo", "fi", "Mansikkala", None, []),
    ("julkaisija@example.fi", "Juha Julkaisija", "juha-julkaisija", "fi", "", roles.PUBLISHER, ["parks"]),
    ("tarkastaja@example.fi", "Tiina Tarkastaja", "tiina-tarkastaja", "fi", "", roles.VERIFIER, ["parks", "youth"]),
    ("kassa@example.fi", "Kaisa Kassa", "kaisa-kassa", "fi", "", roles.CASHIER, []),
    (
        "admin@example.fi",
        "Antti Ylläpitäjä",
        "antti-admin",
        "fi",
        "",
        roles.CITY_ADMIN,
        ["parks", "youth", "sports", "library"],
    ),
    ("elsa@example.fi", "Elsa Ek", "elsa", "sv", "Vuoksenniska", None, []),
    ("mika@example.fi", "Mika Mäkelä", "mika", "fi", "Imatrankoski", None, []),
    ("sara@example.fi", "Sara Smith", "sara", "en", "Tainionkoski", None, []),
]


def demo_user(email: str) -> User:
    return User.objects.get(email=email)


def seed(*, now) -> list[str]:
    ensure_role_groups()
    departments = {
        slug: upsert_department(slug=slug, name_fi=fi, name_sv=sv, name_en=en) for slug, fi, sv, en in DEPARTMENTS
    }
    password = settings.DEMO_PASSWORD
    lines = ["Demo accounts (password: the DEMO_PASSWORD setting, default eraha-demo):"]
    for email, name, handle, language, area, role, dept_slugs in ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"display_name": name, "handle": handle, "preferred_language": language, "neighbourhood": area},
        )
        if created:
            user.set_password(password)
            if role is roles.CITY_ADMIN:
                user.is_staff = True  # may open the Django admin; rights come from the group
            user.save()
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if role is not None:
            assign_role(user=user, role=role)
            ensure_totp(user=user)
        if dept_slugs:
            user.departments.add(*(departments[slug] for slug in dept_slugs))
        with translation.override("en"):
            label = str(role.label) if role else "Resident"
        lines.append(f"  {email:<24} {label}")
    lines.append("Staff accounts use two-factor authentication: get the current code with")
    lines.append("  .venv/bin/python manage.py totp_code tarkastaja@example.fi")
    return lines
