"""Slugs from French names, and accent-insensitive patterns (social.slugs)."""

import re

import pytest

from social.slugs import (
    FALLBACK_SLUG,
    accent_insensitive_pattern,
    fold_french,
    slug_base,
    slug_prefix,
    unique_slug,
)

MAX = 140


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Mairie dans la marmite", "mairie-dans-la-marmite"),
        ("La Mairie dans la marmite", "la-mairie-dans-la-marmite"),
        ("La Machine à café", "la-machine-a-cafe"),
        ("Un jour, une fleur", "un-jour-une-fleur"),
        ("État civil", "etat-civil"),
        ("Œuvres sociales", "oeuvres-sociales"),
        ("L'été à l'Hôtel de Ville", "l-ete-a-l-hotel-de-ville"),
        ("Aujourd\u2019hui", "aujourd-hui"),
        ("Ça, c'est Noël !", "ca-c-est-noel"),
        ("  Espaces   verts -- Serres  ", "espaces-verts-serres"),
        ("Projet_2025 (phase 2)", "projet-2025-phase-2"),
        ("Straße", "strasse"),
        ("🌻🌻", FALLBACK_SLUG),
        ("!!!", FALLBACK_SLUG),
    ],
)
def test_slugs_of_french_names(name, slug):
    """Accents and ligatures become plain letters, elisions separate words,
    punctuation goes; a name without letters gets a fallback."""
    assert slug_base(name, MAX) == slug


def test_a_long_name_is_cut_between_words():
    """A slug too long is cut at a hyphen, never in a word."""
    name = "Réunion " * 30
    slug = slug_base(name, 30)
    assert slug == "reunion-reunion-reunion"
    assert len(slug) <= 30


def test_a_single_long_word_is_cut_to_the_limit():
    """Without a hyphen to cut at, the slug stops at the limit."""
    assert slug_base("a" * 200, 10) == "a" * 10


def test_duplicates_get_numbered_suffixes():
    """The first free of slug, slug-2, slug-3... is chosen."""
    name = "La Machine à café"
    assert unique_slug(name, [], MAX) == "la-machine-a-cafe"
    assert unique_slug(name, ["la-machine-a-cafe"], MAX) == "la-machine-a-cafe-2"
    taken = ["la-machine-a-cafe", "la-machine-a-cafe-2", "la-machine-a-cafe-3"]
    assert unique_slug(name, taken, MAX) == "la-machine-a-cafe-4"
    # A gap is reused.
    assert unique_slug(name, [taken[0], taken[2]], MAX) == "la-machine-a-cafe-2"
    # Another slug that merely starts alike does not count.
    assert unique_slug(name, ["la-machine-a-cafe-du-2e"], MAX) == "la-machine-a-cafe"


def test_suffixes_fit_within_the_limit():
    """A numbered slug of a long name still fits the column."""
    name = "x" * 200
    first = unique_slug(name, [], 20)
    second = unique_slug(name, [first], 20)
    assert (first, second) == ("x" * 20, "x" * 18 + "-2")


def test_the_prefix_covers_every_candidate():
    """Every slug unique_slug may give a name starts with its prefix, so one
    query on the prefix finds every slug that could collide."""
    for name in ["La Machine à café", "Réunion " * 30, "x" * 200]:
        prefix = slug_prefix(name, MAX)
        taken: list[str] = []
        for _ in range(12):
            slug = unique_slug(name, taken, MAX)
            assert slug.startswith(prefix)
            assert len(slug) <= MAX
            taken.append(slug)


def test_fold_french():
    """Case, accents and ligatures are folded."""
    assert fold_french("Œuvre Éléphant ÆTHER") == "oeuvre elephant aether"


@pytest.mark.parametrize(
    ("word", "text", "matches"),
    [
        ("cafe", "La Machine à café", True),
        ("CAFÉ", "LA MACHINE À CAFE", True),
        ("fete", "Comité des fêtes", True),
        ("noel", "Joyeux Noël", True),
        ("oeuvre", "Œuvres sociales", True),
        ("œuvre", "Les oeuvres", True),
        ("ca", "Ça va", True),
        ("cafe", "caf", False),
        (".*", "anything", False),
        ("a+b", "a+b", True),
        ("a+b", "aab", False),
        ("[x]", "[x]", True),
        ("\\d", "\\d", True),
        ("\\d", "5", False),
    ],
)
def test_accent_insensitive_patterns(word, text, matches):
    """A word matches its accented and capitalised forms, and regex characters
    match only themselves."""
    assert bool(re.search(accent_insensitive_pattern(word), text)) is matches


def test_control_characters_are_dropped():
    """A NUL byte (refused by PostgreSQL) never reaches the pattern."""
    assert "\x00" not in accent_insensitive_pattern("ca\x00fe")
