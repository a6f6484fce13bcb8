from __future__ import annotations

from django.apps import AppConfig


class ErahaConfig(AppConfig):
    name = "eraha"
    verbose_name = "eRaha"
