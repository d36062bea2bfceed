"""Slugs from French names, and accent-insensitive matching without a folded column.

"La Mairie dans la marmite" -> "la-mairie-dans-la-marmite"; "Œuvres sociales" ->
"oeuvres-sociales"; "L'été à l'hôtel de ville" -> "l-ete-a-l-hotel-de-ville".
"""

import re
import secrets
from collections.abc import Iterable

from django.utils.text import slugify

from social.models.users import fold

# What a slug falls back to when a name has no letter or digit a URL can carry.
FALLBACK_SLUG = "groupe"
# Ligatures NFKD does not decompose; casefold already turns "ß" into "ss".
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# French elisions ("l'été", typographic apostrophes too) separate words in a slug.
_SEPARATORS = re.compile("['\u2019\u02bc_]+")
# Room `slug_prefix` leaves for a "-<number>" suffix (up to nine digits).
SUFFIX_ROOM = 10


def fold_french(text: str) -> str:
    """Lower-case `text` and strip its accents and ligatures ("Œuvre" -> "oeuvre")."""
    return fold(text).translate(_LIGATURES)


def slug_base(name: str, max_length: int) -> str:
    """The slug of `name` before any "-2" suffix, at most `max_length` characters.

    Cut at a hyphen when it must be shortened, so no word is cut in half.
    """
    slug = slugify(_SEPARATORS.sub(" ", fold_french(name)))
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug.strip("-") or FALLBACK_SLUG


def unique_slug(name: str, taken: Iterable[str], max_length: int) -> str:
    """The slug of `name`, or the first of "<slug>-2", "<slug>-3"... not `taken`.

    The suffix fits within `max_length` too: the base is shortened to make room.
    """
    taken = set(taken)
    base = slug_base(name, max_length)
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = slug_base(name, max_length - len(suffix)) + suffix
        if candidate not in taken:
            return candidate
        number += 1


def secret_slug(name: str, max_length: int) -> str:
    """A slug for a secret group: its name's, with a random suffix.

    A secret group must not hold the plain slug of its name: a colleague creating
    a group of that name would get "<slug>-2" and learn that it exists.
    """
    suffix = f"-{secrets.token_hex(4)}"
    return slug_base(name, max_length - len(suffix)) + suffix


def slug_prefix(name: str, max_length: int) -> str:
    """What every slug `unique_slug` may give `name` starts with, to fetch the
    taken ones in one query: its base, shortened to leave room for a suffix."""
    return slug_base(name, max_length - SUFFIX_ROOM)


# --- Accent-insensitive matching --------------------------------------------------
#
# Groups have no folded column, so a search word becomes a regular expression in
# which every letter also matches its accented forms, in both cases: "cafe" ->
# "[cCçÇ][aA...][fF][eEéÉèÈ...]". Python's `re` (Django's REGEXP on SQLite) and
# PostgreSQL's `~*` read it alike, whatever the database's locale.

_ACCENTED = {
    "a": "àâäáãå",
    "c": "ç",
    "e": "éèêë",
    "i": "îïíì",
    "n": "ñ",
    "o": "ôöóòõ",
    "u": "ùûüú",
    "y": "ÿý",
}
_LIGATURE_OF = {"oe": "œ", "ae": "æ"}


def _letter_class(letter: str) -> str:
    forms = letter + _ACCENTED.get(letter, "")
    return "[" + forms + forms.upper() + "]"


def _literal(char: str) -> str:
    if char.isalnum():
        return _letter_class(char) if char.isalpha() else char
    # A backslash makes any other character literal in both regex dialects.
    return "\\" + char


def accent_insensitive_pattern(word: str) -> str:
    """A regular expression matching `word` whatever its accents and case.

    `word` is folded first, so "Café", "cafe" and "CAFÉ" give the same pattern.
    """
    folded = "".join(char for char in fold_french(word) if char.isprintable())
    parts, index = [], 0
    while index < len(folded):
        pair = folded[index : index + 2]
        if pair in _LIGATURE_OF:
            ligature = _LIGATURE_OF[pair]
            plain = _literal(pair[0]) + _literal(pair[1])
            parts.append(f"(?:{plain}|{ligature}|{ligature.upper()})")
            index += 2
            continue
        parts.append(_literal(folded[index]))
        index += 1
    return "".join(parts)
