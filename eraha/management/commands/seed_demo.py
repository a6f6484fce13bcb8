"""Seeds the demo city. Idempotent: running it twice changes nothing.

Each app contributes a seeder listed in settings.DEMO_SEEDERS; they run in that order inside one
transaction, with one clock reading.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Creates the demo city with demo accounts (never run this in production unless asked)."

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true", help="Seed even with DJANGO_ENV=production.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo accounts.")

    def handle(self, *args, allow_production: bool = False, quiet: bool = False, **options):
        if settings.PRODUCTION and not allow_production:
            raise CommandError("Refusing to seed demo data in production; pass --allow-production if you mean it.")
        now = timezone.now()
        lines: list[str] = []
        with transaction.atomic():
            for dotted in settings.DEMO_SEEDERS:
                seeder = import_string(dotted)
                lines.extend(seeder(now=now) or [])
        if not quiet:
            for line in lines:
                self.stdout.write(line)
