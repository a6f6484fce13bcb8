from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("People and departments")

    def ready(self) -> None:
        from people import admin_audit

        admin_audit.install()
