"""Checks that the fi, sv and en catalogues are complete and compiled.

Every msgid must have a Finnish and a Swedish translation (English msgids are the English text, so an
empty English msgstr is allowed), no entry may be fuzzy, and each .mo must hold exactly what its .po says.
Whether the .po files are up to date with the source is checked by .ci/run (makemessages + git diff).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("fi", "sv")
LANGUAGES = ("fi", "sv", "en")


def as_tuple(string) -> tuple:
    # Plural forms come back as a tuple from the .po and as a list from the .mo.
    return tuple(string) if isinstance(string, (list, tuple)) else (string,)


def translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s.strip() for s in strings)


def main() -> int:
    problems: list[str] = []
    for language in LANGUAGES:
        po_path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        mo_path = po_path.with_suffix(".mo")
        if not po_path.exists() or not mo_path.exists():
            problems.append(f"{language}: {po_path.name} or {mo_path.name} is missing")
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        with mo_path.open("rb") as handle:
            compiled = read_mo(handle)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            where = f"{language}: {key!r}"
            if message.fuzzy:
                problems.append(f"{where} is marked fuzzy")
            if language in REQUIRED and not translated(message):
                problems.append(f"{where} has no translation")
            if language == "en" and any(s.strip() for s in as_tuple(message.string)):
                problems.append(f"{where} must stay empty in English: the msgid is the English text")
            if translated(message) and not message.fuzzy:
                compiled_message = compiled.get(message.id, context=message.context)
                if compiled_message is None or as_tuple(compiled_message.string) != as_tuple(message.string):
                    problems.append(f"{where} differs in {mo_path.name}: run `make messages`")
        print(f"{language}: {sum(1 for m in catalog if m.id)} messages checked")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} translation problems", file=sys.stderr)
        return 1
    print("translations complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
