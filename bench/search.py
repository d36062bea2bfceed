"""Search latency, as a ratio to the bare full-text SQL query.

    .venv/bin/python bench/search.py        # 100,000 posts, alone
    make bench                              # 5,000 posts, with the other scenarios
    .venv/bin/python -m bench search --search-posts 100000

The database is the bench's own (bench/harness.py): a SQLite file under
var/bench/ (FTS5), or with DATABASE_URL (formerly BENCH_DATABASE_URL) a database
named for the bench on that PostgreSQL server.

Seeds posts in a few groups (public, private, secret), then times, interleaved
with the bare SQL full-text query (match, rank, first 20) as the floor: the
search selector (social.search.search: permission scope, count, page,
snippets), and the GraphQL `search` field over HTTP (the same plus nodes).
Each call runs one of QUERIES in turn, the floor the same one.
"""

import os
import random
import sys
import time
from itertools import cycle
from pathlib import Path

if __name__ == "__main__":  # run as a script: the repository, not bench/, first
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.harness import Result, measure, scenario

QUERIES = ["jardin", "fleur", "evenement", "reunion budget", "jard", "piscine"]
VOCABULARY = (  # noqa: SIM905 (a sentence is easier to edit)
    "le la les des du un une jardin jardins fleurs fleur événement événements "
    "réunion budget conseil municipal piscine école cantine travaux voirie "
    "festival fête marché mairie agents service planning congés formation "
    "bibliothèque parc vélo stationnement sécurité propreté déchets tri"
).split()
GRAPHQL = """query($q: String!) { search(query: $q, first: 20) { totalCount
  edges { score snippet node { __typename ... on Post { id } } } } }"""


def seed(posts: int):
    """Create a viewer, three groups and `posts` posts; index everything."""
    from social import search
    from social.models import Group, Membership, Post, User

    viewer = User.objects.create(username="bench", display_name="Banc Essai")
    author = User.objects.create(username="author", display_name="Auteur")
    groups = [
        Group.objects.create(name=f"G{v}", slug=f"g-{v}", kind="TOPIC", visibility=v)
        for v in ("PUBLIC", "PRIVATE", "SECRET")
    ]
    Membership.objects.create(group=groups[1], user=viewer)
    rng = random.Random(8)
    batch = []
    for _ in range(posts):
        body = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(8, 40)))
        group = rng.choice([None, *groups])
        batch.append(Post(author=author, group=group, body=body, body_html=body))
        if len(batch) == 5000:
            Post.objects.bulk_create(batch)
            batch = []
    Post.objects.bulk_create(batch)
    started = time.perf_counter()
    size = search.rebuild()
    print(f"  indexed {size} entries in {time.perf_counter() - started:.1f}s")
    return viewer


def bare(query: str) -> None:
    """The full-text query alone: match, rank, first 20 (no permissions)."""
    from django.db import connection

    from social.search import text as french

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


def _each_query(function):
    """A callable running `function` on the next query of QUERIES each call."""
    queries = cycle(QUERIES)
    return lambda: function(next(queries))


@scenario("search")
def search_scenario(options) -> list[Result]:
    """The selector and the GraphQL field, each against the bare SQL query."""
    from django.test import Client

    from social import search

    viewer = seed(options.search_posts)
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
        assert "errors" not in response.json(), response.json()

    repeat = len(QUERIES) * max(2, options.repeat // 10)
    extra = {"posts": options.search_posts}
    return [
        measure(
            f"search {name}",
            subject=_each_query(function),
            floor=_each_query(bare),
            repeat=repeat,
            warmup=len(QUERIES),
            extra=extra,
        )
        for name, function in (("selector", selector), ("GraphQL over HTTP", graphql))
    ]


def main() -> None:
    from bench import harness

    posts = os.environ.get("BENCH_POSTS", "100000")
    options = harness.parser().parse_args(["--search-posts", posts, *sys.argv[1:]])
    harness.setup()
    harness.run(["search"], options)


if __name__ == "__main__":
    main()
