"""Limits on operations: at each limit the query runs, one past it it is refused.

Every refusal happens before any resolver runs and carries QUERY_TOO_COMPLEX or
BAD_USER_INPUT in `extensions.code`.
"""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from graphql import get_introspection_query

# Depth counts from 0 at the root fields: users(0) > edges(1) > node(2) > id(3).
DEPTH_3 = "{ users { edges { node { id } } } }"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(count)) + " }"


def refused_with(body: dict, code: str) -> bool:
    return body.get("data") is None and [
        error["extensions"]["code"] for error in body["errors"]
    ] == [code]


def test_the_default_limits_fit_graphiql_and_real_client_queries(agent):
    """GraphiQL's introspection query and a full page query pass the defaults."""
    agent.data(get_introspection_query(descriptions=True))
    agent.data(
        """query Page($first: Int!) { viewer { id username displayName }
        users(first: $first) { totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id username displayName firstName lastName } } } }""",
        {"first": 100},
    )


class TestDepth:
    def test_at_the_limit_the_query_runs(self, agent):
        with override_settings(GRAPHQL_MAX_DEPTH=3):
            agent.data(DEPTH_3)

    def test_one_past_the_limit_it_is_refused_before_any_resolver(self, agent):
        with (
            override_settings(GRAPHQL_MAX_DEPTH=2),
            CaptureQueriesContext(connection) as queries,
        ):
            body = agent.execute(DEPTH_3)
        assert refused_with(body, "QUERY_TOO_COMPLEX")
        # The session and its user were read; the users resolver never ran.
        assert len(queries) == 2
        assert not [q for q in queries if "COUNT" in q["sql"].upper()]

    def test_depth_is_counted_through_fragments(self, agent):
        query = "query { ...U } fragment U on Query { users { edges { node { id } } } }"
        with override_settings(GRAPHQL_MAX_DEPTH=2):
            body = agent.execute(query)
        assert refused_with(body, "QUERY_TOO_COMPLEX")


class TestAliases:
    def test_at_the_limit_the_query_runs(self, agent):
        agent.data(aliases(settings.GRAPHQL_MAX_ALIASES))

    def test_one_past_the_limit_it_is_refused(self, agent):
        body = agent.execute(aliases(settings.GRAPHQL_MAX_ALIASES + 1))
        assert refused_with(body, "QUERY_TOO_COMPLEX")

    def test_aliases_are_counted_through_every_fragment_spread(self, agent):
        half = settings.GRAPHQL_MAX_ALIASES // 2 + 1
        fields = " ".join(f"a{i}: viewer {{ id }}" for i in range(half))
        query = (
            f"query {{ ...F x: __typename ...G }} fragment F on Query {{ {fields} }}"
        )
        query += " fragment G on Query { ...F }"
        body = agent.execute(query)
        assert refused_with(body, "QUERY_TOO_COMPLEX")


class TestTokens:
    # `{ viewer { id } }` is six tokens.
    def test_at_the_limit_the_query_runs(self, agent):
        with override_settings(GRAPHQL_MAX_TOKENS=6):
            agent.data("{ viewer { id } }")

    def test_one_past_the_limit_it_is_refused(self, agent):
        with override_settings(GRAPHQL_MAX_TOKENS=5):
            body = agent.execute("{ viewer { id } }")
        assert refused_with(body, "QUERY_TOO_COMPLEX")


class TestDocumentSize:
    def padded(self, size: int) -> str:
        query = "{ viewer { id } }\n#"
        return query + "x" * (size - len(query))

    def test_at_the_limit_the_query_runs(self, agent):
        agent.data(self.padded(settings.GRAPHQL_MAX_DOCUMENT_BYTES))

    def test_one_past_the_limit_it_is_refused(self, agent):
        body = agent.execute(self.padded(settings.GRAPHQL_MAX_DOCUMENT_BYTES + 1))
        assert refused_with(body, "QUERY_TOO_COMPLEX")


class TestExpandedFields:
    # `{ viewer { id } }` selects two fields; each spread of F adds them again.
    QUERY = "query { ...F ...F x: viewer { id } } fragment F on Query { viewer { id } }"

    def test_at_the_limit_the_query_runs(self, agent):
        with override_settings(GRAPHQL_MAX_FIELDS=6):
            agent.data(self.QUERY)

    def test_one_past_the_limit_it_is_refused(self, agent):
        with override_settings(GRAPHQL_MAX_FIELDS=5):
            body = agent.execute(self.QUERY)
        assert refused_with(body, "QUERY_TOO_COMPLEX")

    def test_doubling_fragment_spreads_are_refused_without_expanding_them(self, agent):
        """A small document whose spreads double at each level cannot stall the
        server: it is measured with memoised fragment sizes and refused."""
        chain = " ".join(
            f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
        )
        query = f"query {{ ...F0 }} {chain} fragment F40 on Query {{ viewer {{ id }} }}"
        body = agent.execute(query)
        assert refused_with(body, "QUERY_TOO_COMPLEX")
        assert str(2 * 2**40) in body["errors"][0]["message"]


class TestPageSize:
    QUERY = "query($n: Int) { users(first: $n) { totalCount } }"

    @pytest.mark.parametrize("size", [0, 100])
    def test_within_the_cap_the_query_runs(self, agent, size):
        agent.data(self.QUERY, {"n": size})

    @pytest.mark.parametrize("size", [101, -1])
    def test_past_the_cap_it_is_refused_as_bad_input(self, agent, size):
        body = agent.execute(self.QUERY, {"n": size})
        assert refused_with(body, "BAD_USER_INPUT")
        assert "between 0 and 100" in body["errors"][0]["message"]

    def test_a_variable_default_past_the_cap_is_refused(self, agent):
        body = agent.execute("query($n: Int = 500) { users(first: $n) { totalCount } }")
        assert refused_with(body, "BAD_USER_INPUT")

    def test_a_literal_last_past_the_cap_is_refused(self, agent):
        body = agent.execute("{ users(last: 101) { totalCount } }")
        assert refused_with(body, "BAD_USER_INPUT")


@pytest.mark.parametrize("cursor", ["garbage", "b3JkZXJlZGN1cnNvcjpbImEiXQ=="])
def test_a_cursor_the_api_did_not_hand_out_is_bad_user_input(agent, cursor):
    """A forged or corrupted cursor is the client's error, not a server fault."""
    body = agent.execute(
        "query($c: String) { users(after: $c) { totalCount } }", {"c": cursor}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
