"""The two search backends: PostgreSQL full-text search and SQLite FTS5.

Both take the entries the viewer may find (a queryset already filtered by
access.search_scope) and the folded query words, and return one ranked page and
the total; each word must match (its stem as a prefix), and the names of people
and groups also match with a small typo.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest, Replace
from django.dispatch import receiver

from social.models import SearchEntry, SearchKind
from social.search import text as french

CONFIG = "french_unaccent"
NAMED_KINDS = (SearchKind.USER, SearchKind.GROUP)
# pg_trgm's default word_similarity_threshold: "Grimaut" ~ "Grimault" is 0.75.
TRIGRAM_THRESHOLD = 0.6
_INSERT = "INSERT INTO search_fts (rowid, body, names) VALUES (%s, %s, %s)"


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    score: float
    snippet: str


class PostgresBackend:
    """Stored tsvector (french with unaccent) under a GIN index, ts_rank,
    ts_headline, and trigram word similarity on names."""

    def write(self, entry: SearchEntry) -> None:
        """Refresh the stored document of `entry`."""
        SearchEntry.objects.filter(pk=entry.pk).update(document=_document(F("text")))

    def write_all(self) -> None:
        """Refresh every stored document."""
        SearchEntry.objects.update(document=_document(F("text")))

    def drop(self, entry_ids: list[int]) -> None:
        """Nothing more than the rows: the document lives in them."""

    def search(
        self, entries: QuerySet, words: list[str], offset: int, limit: int
    ) -> tuple[int, list[Hit]]:
        query = SearchQuery(
            " & ".join(f"{word}:*" for word in words), config=CONFIG, search_type="raw"
        )
        similarity = TrigramWordSimilarity(Value(" ".join(words)), "names")
        matches = entries.annotate(similarity=similarity).filter(
            Q(document=query)
            | Q(kind__in=NAMED_KINDS, similarity__gte=TRIGRAM_THRESHOLD)
        )
        total = matches.count()
        rank = SearchRank(F("document"), query, normalization=Value(1))
        named = Q(kind__in=NAMED_KINDS)
        page = (
            matches.annotate(
                score=Greatest(
                    Coalesce(rank, Value(0.0), output_field=FloatField()),
                    _when(named, F("similarity")),
                ),
                snippet=SearchHeadline(
                    _escaped(F("text")),
                    query,
                    config=CONFIG,
                    start_sel="<mark>",
                    stop_sel="</mark>",
                    max_words=30,
                    min_words=10,
                ),
            )
            .order_by("-score", "kind", "object_id")
            .values_list("kind", "object_id", "score", "snippet")[
                offset : offset + limit
            ]
        )
        return total, [Hit(k, o, float(s), h) for k, o, s, h in page]


def _document(body) -> SearchVector:
    return SearchVector(body, config=CONFIG)


def _when(condition: Q, value):
    from django.db.models import Case, When

    return Case(
        When(condition, then=value), default=Value(0.0), output_field=FloatField()
    )


def _escaped(expression):
    """`expression` with &, < and > escaped, so the headline holds no markup but
    its own <mark>."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        expression = Replace(expression, Value(raw), Value(entity))
    return expression


def row_score(body: str | None, names: str | None, terms: str) -> float:
    """The score of one FTS row: how often the query's stems start a word of its
    text, per square root of its length, and twice as much for words of names.

    Only the row itself counts. FTS5's bm25 weighs words by how many rows of the
    whole index hold them, secret groups' posts included, so its scores would let
    a searcher probe what they cannot read.
    """
    body_words = (body or "").split()
    name_words = (names or "").split()
    score = 0.0
    for term in terms.split():
        exact = term.startswith("=")
        stem = term.removeprefix("=")
        hits = 0 if exact else sum(word.startswith(stem) for word in body_words)
        named = sum(
            (word == stem) if exact else word.startswith(stem) for word in name_words
        )
        score += hits / max(len(body_words), 1) ** 0.5 + 2.0 * named
    return score


@receiver(connection_created)
def _register_row_score(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "parvis_score", 3, row_score, deterministic=True
        )


class SqliteBackend:
    """An FTS5 table of folded, Snowball-stemmed text ranked per row (row_score);
    typos on names by edit distance over the (few) names the viewer may find."""

    def write(self, entry: SearchEntry) -> None:
        """Replace the FTS row of `entry`."""
        self.drop([entry.pk])
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, [entry.pk, french.stemmed(entry.text), entry.names])

    def write_all(self) -> None:
        """Refill the FTS table from the entries."""
        rows = SearchEntry.objects.values_list("pk", "text", "names").iterator(
            chunk_size=2000
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")
            batch = []
            for pk, body, names in rows:
                batch.append((pk, french.stemmed(body), names))
                if len(batch) >= 2000:
                    self._insert(cursor, batch)
                    batch = []
            self._insert(cursor, batch)

    def _insert(self, cursor, batch: list) -> None:
        if batch:
            cursor.executemany(_INSERT, batch)

    def drop(self, entry_ids: list[int]) -> None:
        """Remove the FTS rows of these entries."""
        if not entry_ids:
            return
        with connection.cursor() as cursor:
            for entry_id in entry_ids:
                cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [entry_id])

    def search(
        self, entries: QuerySet, words: list[str], offset: int, limit: int
    ) -> tuple[int, list[Hit]]:
        typos = self._typos(entries, words)
        clauses = []
        for word in words:
            alternatives = [f'body : "{french.stem(word)}"*']
            alternatives += [f'names : "{name}"' for name in sorted(typos[word])]
            clauses.append("(" + " OR ".join(alternatives) + ")")
        terms = " ".join(
            [french.stem(word) for word in words]
            + [f"={name}" for word in words for name in sorted(typos[word])]
        )
        # The MATCH expression is a parameter; the words in it are \w+ only, quoted.
        matches = entries.extra(
            select={"score": "parvis_score(search_fts.body, search_fts.names, %s)"},
            select_params=[terms],
            tables=["search_fts"],
            where=[
                "search_fts.rowid = social_searchentry.id",
                "search_fts MATCH %s",
            ],
            params=[" AND ".join(clauses)],
        )
        total = matches.count()
        page = matches.order_by("-score", "kind", "object_id").values_list(
            "kind", "object_id", "score", "text"
        )[offset : offset + limit]
        extra = set().union(*typos.values())
        return total, [
            Hit(k, o, float(s), french.highlight(t, words, extra))
            for k, o, s, t in page
        ]

    def _typos(self, entries: QuerySet, words: list[str]) -> dict[str, set[str]]:
        """For each query word, the name words within its typo budget."""
        typos: dict[str, set[str]] = {word: set() for word in words}
        if not any(french.typo_budget(word) for word in words):
            return typos
        vocabulary = set()
        for names in entries.filter(kind__in=NAMED_KINDS).values_list(
            "names", flat=True
        ):
            vocabulary.update(names.split())
        for word in words:
            budget = french.typo_budget(word)
            if budget:
                typos[word] = {
                    name
                    for name in vocabulary
                    if french.edit_distance(word, name, budget) <= budget
                }
        return typos


def backend() -> PostgresBackend | SqliteBackend:
    """The backend of the default database."""
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteBackend()
