"""Market-protection screening: pure functions, no database and no request.

`screen(draft, rule_set)` answers allow / review / block for a task draft, with every rule that fired and a
reason in Finnish, Swedish and English. The caller (tasks.services) builds the inputs from the database and
stores the decision.

Phrase patterns are words separated by spaces, matched against consecutive words of the title and the
description (lower-cased, Unicode letters):

- `word`   matches exactly that word;
- `stem*`  matches any word that starts with the stem, so inflected Finnish forms match
           (`siivo*` → siivous, siivoamaan, siivoojaa);
- `*stem*` also matches the stem inside a word, for Finnish and Swedish compounds
           (`*ikkunanpesu*` → kotiikkunanpesu, `*remont*` → kylpyhuoneremontti);
- `*stem`  matches words that end with it.

False positives are kept down by specific stems (`städa*` matches städa/städar but not städer, "cities"),
by rules that apply only to peer or only to city tasks, and by categories in which a rule's phrases are
allowed (cleaning tools lent for a city litter pick).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("fi", "sv", "en")

ALLOW = "allow"
REVIEW = "review"
BLOCK = "block"
_SEVERITY = {ALLOW: 0, REVIEW: 1, BLOCK: 2}

CITY = "city"
PEER = "peer"

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class CategoryInfo:
    slug: str
    names: Mapping[str, str]
    reward_ceiling_cents: int
    allows_city: bool = True
    allows_residents: bool = True
    blocked: bool = False
    blocked_reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PhraseRule:
    code: str
    phrases: tuple[str, ...]
    reasons: Mapping[str, str]
    action: str = BLOCK
    kind: str = "phrase"  # or "recurring"
    applies_to: str = "all"  # "all", "peer" or "city"
    allowed_categories: frozenset[str] = frozenset()
    language: str = ""


@dataclass(frozen=True)
class RuleSet:
    phrase_rules: tuple[PhraseRule, ...] = ()
    max_open_peer_tasks: int = 3
    max_peer_tasks_per_month: int = 5


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    category: CategoryInfo
    reward_cents: int
    poster_kind: str  # CITY or PEER
    # Peer posters only: the poster's other open tasks now, and tasks posted this month (this one excluded).
    open_peer_tasks: int = 0
    peer_tasks_this_month: int = 0

    def as_inputs(self) -> dict:
        """The inputs as stored with the decision (JSON)."""
        return {
            "title": self.title,
            "description": self.description,
            "category": self.category.slug,
            "reward_cents": self.reward_cents,
            "reward_ceiling_cents": self.category.reward_ceiling_cents,
            "poster_kind": self.poster_kind,
            "open_peer_tasks": self.open_peer_tasks,
            "peer_tasks_this_month": self.peer_tasks_this_month,
        }


@dataclass(frozen=True)
class FiredRule:
    code: str
    kind: str
    outcome: str
    reasons: Mapping[str, str]
    matched: str = ""

    def reason(self, language: str) -> str:
        return self.reasons.get(language[:2]) or self.reasons.get("fi", "")

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "outcome": self.outcome,
            "matched": self.matched,
            "reason": dict(self.reasons),
        }


@dataclass(frozen=True)
class Decision:
    outcome: str
    fired: tuple[FiredRule, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOW

    def reasons(self, language: str) -> list[str]:
        return [rule.reason(language) for rule in self.fired]

    def codes(self) -> list[str]:
        return [rule.code for rule in self.fired]


# --- Text matching --------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-cased words of the text (letters and digits), Unicode-normalised so ä is one character."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


@dataclass(frozen=True)
class _WordPattern:
    stem: str
    prefix: bool  # may have more letters after the stem
    suffix: bool  # may have more letters before the stem

    def matches(self, word: str) -> bool:
        if self.prefix and self.suffix:
            return self.stem in word
        if self.prefix:
            return word.startswith(self.stem)
        if self.suffix:
            return word.endswith(self.stem)
        return word == self.stem


def compile_phrase(phrase: str) -> tuple[_WordPattern, ...]:
    patterns = []
    for raw in phrase.split():
        raw = unicodedata.normalize("NFC", raw).casefold()
        stem = raw.strip("*")
        if not stem:
            continue
        patterns.append(_WordPattern(stem=stem, prefix=raw.endswith("*"), suffix=raw.startswith("*")))
    return tuple(patterns)


def find_phrase(text_words: list[str], phrase: str) -> str:
    """The words of the text that match the phrase (consecutive words), or "" when it does not occur."""
    patterns = compile_phrase(phrase)
    if not patterns:
        return ""
    width = len(patterns)
    for start in range(len(text_words) - width + 1):
        window = text_words[start : start + width]
        if all(pattern.matches(word) for pattern, word in zip(patterns, window, strict=True)):
            return " ".join(window)
    return ""


def parse_phrases(text: str) -> tuple[str, ...]:
    """Phrases as stored in the admin: one a line (commas also separate); blank lines ignored."""
    parts = re.split(r"[\n,]", text)
    return tuple(part.strip() for part in parts if part.strip())


# --- Reasons --------------------------------------------------------------------------------------


def _format_cents(cents: int, language: str) -> str:
    whole, part = divmod(abs(cents), 100)
    separator = "." if language == "en" else ","
    sign = "-" if cents < 0 else ""
    return f"{sign}{whole}{separator}{part:02d}"


def _in_every_language(message, **params) -> dict[str, str]:
    """Renders a translatable message in fi, sv and en (money formatted per language)."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            values = {
                key: _format_cents(value.cents, language)
                if isinstance(value, _Cents)
                else value.get(language, "")
                if isinstance(value, Mapping)
                else value
                for key, value in params.items()
            }
            texts[language] = str(message) % values if values else str(message)
    return texts


@dataclass(frozen=True)
class _Cents:
    cents: int


# --- Screening ------------------------------------------------------------------------------------


def _phrase_rule_applies(rule: PhraseRule, draft: Draft) -> bool:
    if rule.applies_to == PEER and draft.poster_kind != PEER:
        return False
    if rule.applies_to == CITY and draft.poster_kind != CITY:
        return False
    return draft.category.slug not in rule.allowed_categories


def screen(draft: Draft, rule_set: RuleSet) -> Decision:
    """Screens a task draft against the rule set. Deterministic; the order of `fired` follows the checks."""
    fired: list[FiredRule] = []
    category = draft.category

    if category.blocked:
        reasons = {lang: category.blocked_reasons.get(lang, "") for lang in LANGUAGES}
        generic = _in_every_language(
            _("Tasks in the category “%(category)s” are not allowed."), category=dict(category.names)
        )
        reasons = {lang: reasons[lang] or generic[lang] for lang in LANGUAGES}
        fired.append(FiredRule("category-blocked", "category", BLOCK, reasons, category.slug))

    if draft.poster_kind == PEER and not category.allows_residents:
        fired.append(
            FiredRule(
                "category-city-only",
                "category",
                BLOCK,
                _in_every_language(
                    _("Only the city posts tasks in the category “%(category)s”."), category=dict(category.names)
                ),
                category.slug,
            )
        )
    if draft.poster_kind == CITY and not category.allows_city:
        fired.append(
            FiredRule(
                "category-residents-only",
                "category",
                BLOCK,
                _in_every_language(
                    _("The category “%(category)s” is for neighbours' tasks only."), category=dict(category.names)
                ),
                category.slug,
            )
        )

    if draft.reward_cents > category.reward_ceiling_cents:
        fired.append(
            FiredRule(
                "reward-ceiling",
                "ceiling",
                BLOCK,
                _in_every_language(
                    _("The reward %(reward)s eRaha is above the ceiling of %(ceiling)s eRaha for this category."),
                    reward=_Cents(draft.reward_cents),
                    ceiling=_Cents(category.reward_ceiling_cents),
                ),
                str(draft.reward_cents),
            )
        )

    if draft.poster_kind == PEER:
        if draft.open_peer_tasks >= rule_set.max_open_peer_tasks:
            fired.append(
                FiredRule(
                    "peer-open-limit",
                    "limit",
                    BLOCK,
                    _in_every_language(
                        _("You can have at most %(limit)s open tasks at a time."),
                        limit=rule_set.max_open_peer_tasks,
                    ),
                    str(draft.open_peer_tasks),
                )
            )
        if draft.peer_tasks_this_month >= rule_set.max_peer_tasks_per_month:
            fired.append(
                FiredRule(
                    "peer-monthly-limit",
                    "limit",
                    BLOCK,
                    _in_every_language(
                        _("You can post at most %(limit)s tasks a month."),
                        limit=rule_set.max_peer_tasks_per_month,
                    ),
                    str(draft.peer_tasks_this_month),
                )
            )

    text_words = words(f"{draft.title}\n{draft.description}")
    for rule in rule_set.phrase_rules:
        if not _phrase_rule_applies(rule, draft):
            continue
        for phrase in rule.phrases:
            matched = find_phrase(text_words, phrase)
            if matched:
                fired.append(FiredRule(rule.code, rule.kind, rule.action, dict(rule.reasons), matched))
                break

    outcome = max((rule.outcome for rule in fired), key=_SEVERITY.__getitem__, default=ALLOW)
    return Decision(outcome=outcome, fired=tuple(fired))


def outcome_of(outcomes: Iterable[str]) -> str:
    """The most severe of several outcomes (allow < review < block)."""
    return max(outcomes, key=_SEVERITY.__getitem__, default=ALLOW)
