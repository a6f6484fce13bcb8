"""Runs the periodic work (claim expiry, peer auto-approval, voucher expiry, photo retention).

Idempotent: each sweep finds what is due at `now` and handles it once, so running late or twice is
harmless. Cron or a loop runs it; expiry is also checked when data is read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Runs every periodic sweep once."

    def handle(self, *args, **options):
        now = timezone.now()
        for dotted in settings.SWEEPS:
            sweep = import_string(dotted)
            count = sweep(now=now)
            self.stdout.write(f"{dotted}: {count}")
        self.stdout.write(self.style.SUCCESS(f"{len(settings.SWEEPS)} sweeps done at {now.isoformat()}"))
