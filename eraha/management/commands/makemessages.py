"""makemessages without fuzzy matching: a new string starts untranslated instead of borrowing a guess from
a similar one, so the completeness check catches it and no wrong translation slips through."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
