"""Search latency on 100,000 posts, as a ratio to the bare full-text SQL query.

    .venv/bin/python bench/search.py        # a scratch SQLite database (FTS5)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parvis_bench \\
        .venv/bin/python bench/search.py    # a scratch PostgreSQL database

Seeds posts in a few groups (public, private, secret), then times, interleaved,
for each query: the bare SQL full-text query (match, rank, first 20), the search
selector (social.search.search: permission scope, count, page, snippets) and the
GraphQL `search` field over HTTP (the same plus nodes). Prints median and p90 in
milliseconds and the ratios to the bare query. Nothing here is a test.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="parvis-bench-"))
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from social import search  # noqa: E402
from social.models import Group, Membership, Post, User  # noqa: E402
from social.search import text as french  # noqa: E402

POSTS = int(os.environ.get("BENCH_POSTS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
QUERIES = ["jardin", "fleur", "evenement", "reunion budget", "jard", "piscine"]
VOCABULARY = (  # noqa: SIM905 (a sentence is easier to edit)
    "le la les des du un une jardin jardins fleurs fleur événement événements "
    "réunion budget conseil municipal piscine école cantine travaux voirie "
    "festival fête marché mairie agents service planning congés formation "
    "bibliothèque parc vélo stationnement sécurité propreté déchets tri"
).split()
GRAPHQL = """query($q: String!) { search(query: $q, first: 20) { totalCount
  edges { score snippet node { __typename ... on Post { id } } } } }"""


def seed() -> User:
    """Create the schema, a viewer, three groups and POSTS posts; index them."""
    call_command("migrate", verbosity=0)
    viewer = User.objects.create(username="bench", display_name="Banc Essai")
    author = User.objects.create(username="author", display_name="Auteur")
    groups = [
        Group.objects.create(name=f"G{v}", slug=f"g-{v}", kind="TOPIC", visibility=v)
        for v in ("PUBLIC", "PRIVATE", "SECRET")
    ]
    Membership.objects.create(group=groups[1], user=viewer)
    rng = random.Random(8)
    batch = []
    for _ in range(POSTS):
        body = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(8, 40)))
        group = rng.choice([None, *groups])
        batch.append(Post(author=author, group=group, body=body, body_html=body))
        if len(batch) == 5000:
            Post.objects.bulk_create(batch)
            batch = []
    Post.objects.bulk_create(batch)
    started = time.perf_counter()
    size = search.rebuild()
    print(f"indexed {size} entries in {time.perf_counter() - started:.1f}s")
    return viewer


def bare(query: str) -> None:
    """The full-text query alone: match, rank, first 20 (no permissions)."""
    words = french.query_words(query)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id, ts_rank(document, q) AS r FROM social_searchentry, "
                "to_tsquery('french_unaccent', %s) q WHERE document @@ q "
                "ORDER BY r DESC LIMIT 20",
                [" & ".join(f"{w}:*" for w in words)],
            )
        else:
            cursor.execute(
                "SELECT rowid, bm25(search_fts) AS r FROM search_fts "
                "WHERE search_fts MATCH %s ORDER BY r LIMIT 20",
                [" AND ".join(f'body : "{french.stem(w)}"*' for w in words)],
            )
        cursor.fetchall()


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    viewer = seed()
    client = Client(HTTP_HOST="localhost")
    client.force_login(viewer)

    def selector(query: str) -> None:
        search.search(viewer, query, limit=20)

    def graphql(query: str) -> None:
        response = client.post(
            "/graphql/",
            {"query": GRAPHQL, "variables": {"q": query}},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert "errors" not in body, body

    times: dict[str, list[float]] = {"bare SQL": [], "selector": [], "GraphQL": []}
    for query in QUERIES:  # warm up
        bare(query), selector(query), graphql(query)
    for _ in range(ROUNDS):
        for query in QUERIES:
            times["bare SQL"].append(timed(bare, query))
            times["selector"].append(timed(selector, query))
            times["GraphQL"].append(timed(graphql, query))
    base = statistics.median(times["bare SQL"])
    print(f"{connection.vendor}, {POSTS} posts, {ROUNDS} rounds x {len(QUERIES)}")
    for name, samples in times.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(
            f"{name:9} median {median:7.2f} ms  p90 {p90:7.2f} ms  "
            f"ratio {median / base:5.2f}"
        )


if __name__ == "__main__":
    main()
