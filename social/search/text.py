"""French text for search: folding, stemming, query words, highlighting."""

import html
import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+")
_STEMMER = snowballstemmer.stemmer("french")

# The stop words of PostgreSQL's `french` configuration (Snowball's list), folded:
# dropped from queries on both backends so that they behave alike.
STOP_WORDS = frozenset(
    [
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "d",
        "j",
        "l",
        "a",
        "m",
        "n",
        "s",
        "t",
        "y",
        "ete",
        "etee",
        "etees",
        "etes",
        "etant",
        "etante",
        "etants",
        "etantes",
        "suis",
        "es",
        "est",
        "sommes",
        "etes",
        "sont",
        "serai",
        "seras",
        "sera",
        "serons",
        "serez",
        "seront",
        "serais",
        "serait",
        "serions",
        "seriez",
        "seraient",
        "etais",
        "etait",
        "etions",
        "etiez",
        "etaient",
        "fus",
        "fut",
        "fumes",
        "futes",
        "furent",
        "sois",
        "soit",
        "soyons",
        "soyez",
        "soient",
        "fusse",
        "fusses",
        "fut",
        "fussions",
        "fussiez",
        "fussent",
        "ayant",
        "ayante",
        "ayantes",
        "ayants",
        "eu",
        "eue",
        "eues",
        "eus",
        "ai",
        "as",
        "avons",
        "avez",
        "ont",
        "aurai",
        "auras",
        "aura",
        "aurons",
        "aurez",
        "auront",
        "aurais",
        "aurait",
        "aurions",
        "auriez",
        "auraient",
        "avais",
        "avait",
        "avions",
        "aviez",
        "avaient",
        "eut",
        "eumes",
        "eutes",
        "eurent",
        "aie",
        "aies",
        "ait",
        "ayons",
        "ayez",
        "aient",
        "eusse",
        "eusses",
        "eussions",
        "eussiez",
        "eussent",
    ]
)


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents ("Événement" -> "evenement")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The French Snowball stem of a folded word."""
    return _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    """The folded words of `text`."""
    return _WORD.findall(fold(text))


def stemmed(text: str) -> str:
    """`text` as folded, stemmed words: what the SQLite index holds."""
    return " ".join(stem(word) for word in words(text))


def query_words(query: str) -> list[str]:
    """The folded words of a query, stop words left out, each kept once."""
    seen: dict[str, None] = {}
    for word in words(query):
        if word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance between `a` and `b`, or `limit + 1` when larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def typo_budget(word: str) -> int:
    """How many edits a name may differ by: none below 4 letters, 1, 2 from 8."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def highlight(text: str, query: list[str], extra: set[str], max_words: int = 30) -> str:
    """An escaped excerpt of `text` around its first match, matched words in
    <mark>: a word matches when its stem starts with the stem of a query word, or
    is one of `extra` (names matched with a typo)."""
    stems = [stem(word) for word in query]
    pieces = re.split(r"(\w+)", text)
    tokens = []  # (is_word, text, matched)
    for index, piece in enumerate(pieces):
        if not piece:
            continue
        if index % 2:
            folded = fold(piece)
            hit = folded in extra or any(stem(folded).startswith(s) for s in stems)
            tokens.append((True, piece, hit))
        else:
            tokens.append((False, piece, False))
    word_positions = [i for i, token in enumerate(tokens) if token[0]]
    first = next((i for i in word_positions if tokens[i][2]), None)
    start_word = 0
    if first is not None:
        start_word = max(0, word_positions.index(first) - max_words // 3)
    chosen = word_positions[start_word : start_word + max_words]
    if not chosen:
        return html.escape(" ".join(text.split()), quote=False)
    out = []
    begin = 0 if start_word == 0 else chosen[0]
    end = len(tokens) if chosen[-1] == word_positions[-1] else chosen[-1] + 1
    for _is_word, piece, hit in tokens[begin:end]:
        escaped = html.escape(piece, quote=False)
        out.append(f"<mark>{escaped}</mark>" if hit else escaped)
    return " ".join("".join(out).split())
