"""One-time access codes: short, and unambiguous when read aloud or typed on a phone.

A code is 8 characters from a 30-character alphabet (about 39 bits), shown as
"ABCD-EFGH". The alphabet has the digits 2-9 and the upper-case letters without
I, L, O and U: both members of every confusable pair (0/O, 1/I/L) are left out,
so nothing has to be guessed or mapped when a code is typed back, and U is left
out as Crockford's base 32 does (no accidental words). Input is accepted in any
case, with any spaces and dashes; a character that can never be in a code makes
the input malformed rather than silently mapped to something else.
"""

import re
import secrets

from social.models.auth import digest

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
GROUP = 4
# What people put between the groups when they copy a code: spaces, dashes, dots.
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def code_generate() -> str:
    """Return a new random code, normalised (8 characters, no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_normalize(value: str) -> str | None:
    """Return `value` as a normalised code, or None if it cannot be one.

    Case, spaces and dashes are ignored ("abcd efgh" -> "ABCDEFGH").
    """
    compact = _SEPARATORS.sub("", value or "").upper()
    return compact if _VALID.fullmatch(compact) else None


def code_format(code: str) -> str:
    """Show a normalised code in groups, as printed and read aloud ("ABCD-EFGH")."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_digest(code: str) -> str:
    """The stored form of a normalised code (its SHA-256)."""
    return digest(code)
