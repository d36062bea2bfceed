"""Access codes: short, unambiguous, typed back however people type."""

import pytest

from social.codes import (
    ALPHABET,
    LENGTH,
    code_digest,
    code_format,
    code_generate,
    code_normalize,
)
from social.models.auth import digest


def test_alphabet_has_no_confusable_characters():
    """No 0/O, 1/I/L or U: nothing to misread, aloud or on paper."""
    assert not set("0O1ILU") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 30


def test_generated_codes_are_short_and_drawn_from_the_alphabet():
    """A code has 8 characters of the alphabet, and codes differ."""
    codes = {code_generate() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == LENGTH
        assert set(code) <= set(ALPHABET)


def test_codes_are_shown_in_two_groups():
    """ABCDEFGH is shown as ABCD-EFGH, and the shown form reads back the same."""
    assert code_format("ABCDEFGH") == "ABCD-EFGH"
    assert code_normalize(code_format("ABCDEFGH")) == "ABCDEFGH"


@pytest.mark.parametrize(
    "typed",
    ["ABCD-EFGH", "abcd-efgh", "abcd efgh", " AbCd  EfGh ", "ab-cd-ef-gh", "abcd.efgh"],
)
def test_typed_codes_ignore_case_spaces_and_dashes(typed):
    """However a code is typed, it normalises to the stored form."""
    assert code_normalize(typed) == "ABCDEFGH"


@pytest.mark.parametrize(
    "typed",
    ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGO", "ABCD-EFGI", "ÀBCD-EFGH"],
)
def test_malformed_codes_are_refused_not_guessed(typed):
    """Wrong length, or a character never used in codes: not a code."""
    assert code_normalize(typed) is None


def test_only_the_hash_of_the_normalised_code_is_stored():
    """The stored digest is the SHA-256 of the normalised code."""
    assert code_digest("ABCDEFGH") == digest("ABCDEFGH")
    assert code_digest("ABCDEFGH") != "ABCDEFGH"
