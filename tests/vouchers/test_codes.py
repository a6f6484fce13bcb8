from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vouchers import codes

bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.RANDOM_LENGTH, max_size=codes.RANDOM_LENGTH)


def test_a_generated_code_has_ten_characters_from_the_unambiguous_alphabet():
    for _ in range(200):
        code = codes.generate_code()
        assert len(code) == 10
        assert set(code) <= set(codes.ALPHABET)
        assert codes.is_valid(code)


def test_the_alphabet_has_no_look_alike_characters():
    assert not set("01ILO") & set(codes.ALPHABET)
    assert len(set(codes.ALPHABET)) == 31


@given(bodies)
def test_every_single_character_typo_is_caught(body):
    code = body + codes.check_character(body)
    for position in range(len(code)):
        for replacement in codes.ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            assert not codes.is_valid(typo), typo


@given(bodies)
def test_every_swap_of_two_adjacent_different_characters_is_caught(body):
    code = body + codes.check_character(body)
    for position in range(len(code) - 1):
        first, second = code[position], code[position + 1]
        if first == second:
            continue
        swapped = code[:position] + second + first + code[position + 2 :]
        assert not codes.is_valid(swapped), swapped


def test_parse_accepts_lower_case_spaces_and_hyphens():
    code = codes.generate_code()
    typed = f" {code[:5].lower()}-{code[5:]} "
    assert codes.parse(typed) == code


@pytest.mark.parametrize(
    ("text", "reason"),
    [("ABC", "length"), ("ABCDEFGHJKM", "length"), ("ABCDE0GHJK", "character"), ("", "length")],
)
def test_parse_says_why_a_text_is_not_a_code(text, reason):
    with pytest.raises(codes.MalformedCode) as caught:
        codes.parse(text)
    assert caught.value.reason == reason


def test_parse_reports_a_typo_as_a_check_failure():
    code = codes.generate_code()
    replacement = codes.ALPHABET[(codes.ALPHABET.index(code[3]) + 1) % 31]
    with pytest.raises(codes.MalformedCode) as caught:
        codes.parse(code[:3] + replacement + code[4:])
    assert caught.value.reason == "check"


def test_display_groups_the_code_in_two_halves():
    assert codes.display("ABCDE23456") == "ABCDE-23456"


@pytest.mark.parametrize(
    ("cents", "text"), [(0, "0.00"), (5, "0.05"), (1250, "12.50"), (-5, "-0.05"), (100000, "1000.00")]
)
def test_decimal_euros_is_a_plain_decimal_with_a_point(cents, text):
    from vouchers.formats import decimal_euros

    assert decimal_euros(cents) == text
