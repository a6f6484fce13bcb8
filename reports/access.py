"""Who may see which part of the dashboard. Every report view goes through `dashboard_scope`."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from people import roles
from people.models import Department


@dataclass(frozen=True)
class Scope:
    """The departments a report may show. `city_wide` adds the city-level figures (wallets, vouchers,
    partners, integrity signals) that belong to no department."""

    departments: tuple[Department, ...]
    city_wide: bool

    @property
    def department_ids(self) -> list[int]:
        return [department.pk for department in self.departments]


def dashboard_scope(user, *, department_slug: str | None = None) -> Scope:
    """City administrators see everything; publishers only their own departments. Another department's
    slug is 404 for a publisher (its existence is not confirmed), an unknown slug is 404 for everyone."""
    if not user.is_authenticated:
        raise PermissionDenied
    if roles.is_city_admin(user):
        if department_slug:
            department = Department.objects.filter(slug=department_slug).first()
            if department is None:
                raise Http404
            return Scope(departments=(department,), city_wide=False)
        return Scope(departments=tuple(Department.objects.order_by("slug")), city_wide=True)
    if not roles.is_publisher(user):
        raise PermissionDenied
    own = tuple(user.departments.order_by("slug"))
    if department_slug:
        chosen = tuple(department for department in own if department.slug == department_slug)
        if not chosen:
            raise Http404
        return Scope(departments=chosen, city_wide=False)
    return Scope(departments=own, city_wide=False)


def visible_departments(user) -> list[Department]:
    if roles.is_city_admin(user):
        return list(Department.objects.order_by("slug"))
    return list(user.departments.order_by("slug"))
