"""Voucher codes: random, unguessable, short enough to type, with a check character. No database here.

A code is 9 random characters and 1 check character from a 31-character alphabet without look-alikes
(no 0/O, 1/I/L). 31 is prime, so the check character makes the weighted sum sum(i * value(c_i)) for
i = 1..10 divisible by 31. Because every weight is non-zero and the weights differ from each other modulo
31, any single wrong character changes the sum by w * d (w, d in 1..30, so never 0 mod 31) and any swap
of two different adjacent characters changes it by (w_i - w_j) * d (also never 0 mod 31): both are always
caught, also when the check character itself is involved.

9 random characters give 31**9 (about 2.6 * 10**13, 44 bits) codes, and lookups are rate limited, so a
code cannot be guessed or enumerated.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS = len(ALPHABET)  # 31, a prime
RANDOM_LENGTH = 9
CODE_LENGTH = RANDOM_LENGTH + 1
_VALUES = {char: index for index, char in enumerate(ALPHABET)}
_SEPARATORS = str.maketrans("", "", " -_.\t")

assert MODULUS == 31


class MalformedCode(ValueError):
    """The text cannot be a voucher code: wrong length, a character outside the alphabet, or a typo."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "length", "character" or "check"


def _weighted_sum(values: list[int]) -> int:
    return sum(weight * value for weight, value in enumerate(values, start=1)) % MODULUS


def check_character(body: str) -> str:
    """The check character for the 9-character body."""
    values = [_VALUES[char] for char in body]
    partial = _weighted_sum(values)
    # Solve partial + CODE_LENGTH * x == 0 (mod 31) for x.
    inverse = pow(CODE_LENGTH, -1, MODULUS)
    return ALPHABET[(-partial * inverse) % MODULUS]


def generate_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def normalize(text: str) -> str:
    """Upper-cases and drops spaces and hyphens, so "abcde-fghjk" and "ABCDE FGHJK" both work."""
    return (text or "").translate(_SEPARATORS).upper()


def is_valid(code: str) -> bool:
    return (
        len(code) == CODE_LENGTH
        and all(char in _VALUES for char in code)
        and _weighted_sum([_VALUES[char] for char in code]) == 0
    )


def parse(text: str) -> str:
    """The normalised code, or MalformedCode saying why the text cannot be one."""
    code = normalize(text)
    if len(code) != CODE_LENGTH:
        raise MalformedCode("length")
    if any(char not in _VALUES for char in code):
        raise MalformedCode("character")
    if not is_valid(code):
        raise MalformedCode("check")
    return code


def display(code: str) -> str:
    """Groups the code for reading aloud and typing: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"
