"""The optimizer's hints kept per place of a parsed document
(graphql_schema.direct.Optimizer): an operation answered with hints kept from
an earlier one, another viewer's or the same, sends the SQL and gives the
answer that hints worked out afresh give; hints holding a prefetch (built for
one viewer) are never kept."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.feed import FEED_PAGE
from graphql_schema import direct
from tests.api import test_connections_in_lists
from tests.api.test_connections_in_lists import CASES, VIEWERS
from tests.conftest import signed_in

town = test_connections_in_lists.town  # the fixture: four services, five groups

# Whether a post's author is selected depends on a variable: so do the hints.
WITH_AUTHOR = """
query Feed($author: Boolean!) { feed(first: 5) { edges { node {
  id body author @include(if: $author) { id displayName }
} } } }
"""
OPERATIONS = [
    *((case.field, case.listed_query(), {"n": 5}) for case in CASES),
    ("page", FEED_PAGE, {"first": 20}),
    ("with author", WITH_AUTHOR, {"author": True}),
    ("without author", WITH_AUTHOR, {"author": False}),
]
MOMENT = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?")
DEPARTMENTS = "{ users(first: 5) { edges { node { id department { name } } } } }"


@pytest.fixture
def clients(town) -> dict:
    return {viewer: signed_in(town[viewer]) for viewer in VIEWERS}


def answer(clients, viewer: str, query: str, variables: dict) -> tuple:
    """The data and the SQL (but the session's, and with the times of day
    left out: rules compare with now) of an operation."""
    with CaptureQueriesContext(connection) as queries:
        data = clients[viewer].data(query, variables)
    return data, [
        MOMENT.sub("<moment>", query["sql"])
        for query in queries.captured_queries
        if "django_session" not in query["sql"]
    ]


@pytest.fixture
def no_hints():
    direct._HINTS.clear()
    yield
    direct._HINTS.clear()


def test_kept_hints_answer_as_hints_worked_out_afresh(clients, no_hints):
    runs = [(viewer, *operation) for viewer in VIEWERS for operation in OPERATIONS]
    afresh = {}
    for viewer, name, query, variables in runs:
        direct._HINTS.clear()
        afresh[viewer, name] = answer(clients, viewer, query, variables)
    direct._HINTS.clear()
    # Every operation after every other one, each viewer after the others.
    for viewer, name, query, variables in [*reversed(runs), *runs]:
        assert answer(clients, viewer, query, variables) == afresh[viewer, name], (
            viewer,
            name,
        )
    kept = dict(direct._HINTS)
    assert len(kept) >= len(OPERATIONS)
    for viewer, _, query, variables in runs:
        answer(clients, viewer, query, variables)
    # Used again, not worked out again (nor put back).
    assert all(direct._HINTS[key] is hints for key, hints in kept.items())


def test_the_author_is_read_only_when_selected(clients, no_hints):
    """The hints of one place differ with the variables that select fields."""
    _, with_author = answer(clients, "mod", WITH_AUTHOR, {"author": True})
    _, without = answer(clients, "mod", WITH_AUTHOR, {"author": False})
    (page,) = [sql for sql in with_author if 'FROM "social_post"' in sql]
    (page_without,) = [sql for sql in without if 'FROM "social_post"' in sql]
    assert '"social_post"."author_id"' in page
    assert '"social_post"."author_id"' not in page_without


def test_hints_holding_a_prefetch_are_not_kept(clients, no_hints):
    """The users' departments are prefetched through the departments' rule,
    for one viewer: those hints are worked out for each operation."""
    first = answer(clients, "root", DEPARTMENTS, {})
    assert not any(key[3] == "users" for key in direct._HINTS)
    assert answer(clients, "ana", DEPARTMENTS, {})[0] == first[0]
    assert answer(clients, "root", DEPARTMENTS, {}) == first
