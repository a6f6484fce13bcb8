"""manage.py partner_token <partner> --name <desk>: prints a new API token for a partner, once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from vouchers import services
from vouchers.models import Partner


class Command(BaseCommand):
    help = "Creates an API token for a partner's desk or system and prints it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("partner", help="The partner's identifier (slug) or id.")
        parser.add_argument("--name", required=True, help="The desk or system that will use the token.")

    def handle(self, *args, partner: str, name: str, **options):
        query = Partner.objects.filter(slug=partner)
        if partner.isdigit():
            query = query | Partner.objects.filter(pk=int(partner))
        found = query.first()
        if found is None:
            raise CommandError(f"No partner {partner!r}; give its identifier (slug) or id.")
        if not name.strip():
            raise CommandError("--name must name the desk or system.")
        token, raw = services.create_partner_token(partner=found, name=name)
        self.stderr.write(f"Token {token.prefix}… for {found.name}: {token.name}. It is shown only now:")
        self.stdout.write(raw)
