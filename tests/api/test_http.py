"""The GraphQL endpoint over HTTP, as GraphiQL and phone apps use it."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from tests.conftest import make_user

VIEWER = "query { viewer { id username displayName } }"
USERS_PAGE = """
query Users($first: Int, $after: String) {
  users(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id username displayName } }
  }
}
"""
UPDATE_PROFILE = """
mutation Update($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    user { id displayName }
    errors { field code message }
  }
}
"""


def test_query_over_post_and_get_give_the_same_answer(agent, agent_user):
    """A query answers the same over POST (JSON) and GET (query string)."""
    # when
    posted = agent.data(VIEWER)
    got = agent.client.get("/graphql/", {"query": VIEWER})
    # then
    assert got.status_code == 200
    assert got.json()["data"] == posted
    assert posted["viewer"]["username"] == agent_user.username


@pytest.mark.parametrize(
    ("query", "status"), [(VIEWER, 200), ("{ nope }", 400), ("{ viewer ", 400)]
)
def test_graphql_response_json_is_answered_as_the_spec_says(
    anonymous, db, query, status
):
    """`application/graphql-response+json`: that media type, 400 for a bad document."""
    response = anonymous.post(
        query, headers={"Accept": "application/graphql-response+json"}
    )
    assert response.status_code == status
    assert response["Content-Type"] == "application/graphql-response+json"
    assert ("errors" in response.json()) is (status == 400)


def test_viewer_is_null_for_an_anonymous_client(anonymous, db):
    """Nobody signed in: `viewer` is null, not an error."""
    assert anonymous.data(VIEWER) == {"viewer": None}


def test_mutation_over_get_is_refused_and_changes_nothing(agent, agent_user):
    """GET may carry queries only: a mutation sent over GET is refused."""
    # when
    mutation = 'mutation { updateProfile(input: {displayName: "X"}) { __typename } }'
    response = agent.client.get("/graphql/", {"query": mutation})
    # then
    assert response.status_code == 400
    assert b"mutations are not allowed" in response.content
    agent_user.refresh_from_db()
    assert agent_user.display_name == "Agathe Leroy"


def test_session_post_without_csrf_token_is_refused(agent_user):
    """A browser session must send the CSRF token with a POST, as GraphiQL does."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_user)
    # when
    response = client.post(
        "/graphql/", data=json.dumps({"query": VIEWER}), content_type="application/json"
    )
    # then
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_post_without_session_cookie_needs_no_csrf_token(agent_user):
    """Phones, scripts and sign-ins carry no cookie to abuse: no token is asked."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/graphql/", data=json.dumps({"query": VIEWER}), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


def test_session_post_with_csrf_token_is_answered(agent_user):
    """GraphiQL's page sets the CSRF cookie; sending it back as a header works."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_user)
    client.get("/graphql/", headers={"Accept": "text/html"})
    token = client.cookies["csrftoken"].value
    # when
    response = client.post(
        "/graphql/",
        data=json.dumps({"query": VIEWER}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    # then
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["username"] == agent_user.username


def test_every_response_carries_a_request_id(anonymous, db):
    """A request id is echoed (or made) so a report can be matched with the log."""
    # when
    echoed = anonymous.post(VIEWER, headers={"X-Request-ID": "phone-1234abcd"})
    made = anonymous.post(VIEWER)
    # then
    assert echoed["X-Request-ID"] == "phone-1234abcd"
    assert len(made["X-Request-ID"]) == 32


class TestNode:
    QUERY = """
    query Fetch($id: ID!, $ids: [ID!]!) {
      node(id: $id) { id ... on User { username } }
      nodes(ids: $ids) { id }
    }
    """

    def test_a_signed_in_user_fetches_a_colleague_by_global_id(self, agent, agent_user):
        """`node` and `nodes` find a visible object by its opaque global ID."""
        # given
        colleague = make_user("gregoire")
        colleague_id = to_base64("User", colleague.pk)
        missing_id = to_base64("User", 999_999)
        # when
        data = agent.data(
            self.QUERY, {"id": colleague_id, "ids": [colleague_id, missing_id]}
        )
        # then
        assert data["node"] == {"id": colleague_id, "username": "gregoire"}
        assert data["nodes"] == [{"id": colleague_id}, None]

    def test_what_the_viewer_may_not_see_is_null_as_if_absent(
        self, anonymous, agent_user
    ):
        """An anonymous client gets null for an existing user, like a missing one."""
        # given
        existing = to_base64("User", agent_user.pk)
        missing = to_base64("User", 999_999)
        # when
        data = anonymous.data(self.QUERY, {"id": existing, "ids": [existing, missing]})
        # then
        assert data == {"node": None, "nodes": [None, None]}

    def test_a_deactivated_user_is_null(self, agent, agent_user):
        """A deactivated colleague is not visible."""
        # given
        gone = make_user("parti", is_active=False)
        # when
        data = agent.data(self.QUERY, {"id": to_base64("User", gone.pk), "ids": []})
        # then
        assert data["node"] is None

    def test_a_malformed_id_is_bad_user_input(self, agent):
        """An ID that is not a global ID is the client's error, with a code."""
        body = agent.execute(self.QUERY, {"id": "not-an-id", "ids": []})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestConnections:
    @pytest.fixture
    def colleagues(self, agent_user):
        return [
            make_user(f"agent{i:03d}", display_name=f"Agent {i:03d}")
            for i in range(120)
        ]

    def test_first_defaults_to_20_and_total_count_counts_all(self, agent, colleagues):
        """Without `first`, a page holds 20 items; totalCount counts every item."""
        page = agent.data(USERS_PAGE)["users"]
        assert len(page["edges"]) == 20
        assert page["totalCount"] == 121
        assert page["pageInfo"]["hasNextPage"] is True

    def test_pages_follow_each_other_without_gap_or_duplicate(self, agent, colleagues):
        """Walking the cursors visits every item exactly once."""
        seen, after = [], None
        while True:
            page = agent.data(USERS_PAGE, {"first": 50, "after": after})["users"]
            seen += [edge["node"]["username"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == 121
        assert len(set(seen)) == 121

    def test_a_cursor_stays_valid_when_items_are_added_before_it(
        self, agent, colleagues
    ):
        """Cursors are keys, not offsets: an earlier insert shifts nothing."""
        # given
        first_page = agent.data(USERS_PAGE, {"first": 10})["users"]
        expected_next = agent.data(
            USERS_PAGE, {"first": 10, "after": first_page["pageInfo"]["endCursor"]}
        )["users"]["edges"]
        # when someone sorted first joins
        make_user("aaron", display_name="Aaron Abadie")
        # then
        after_insert = agent.data(
            USERS_PAGE, {"first": 10, "after": first_page["pageInfo"]["endCursor"]}
        )["users"]["edges"]
        assert after_insert == expected_next

    @pytest.mark.parametrize("size", [1, 20, 100])
    def test_sql_query_count_does_not_grow_with_the_page_size(
        self, agent, colleagues, size
    ):
        """A page costs the same number of SQL queries whatever its size."""
        with CaptureQueriesContext(connection) as queries:
            page = agent.data(USERS_PAGE, {"first": size})["users"]
        assert len(page["edges"]) == size
        # session, user, page, count
        assert len(queries) == 4, [q["sql"] for q in queries]


class TestUpdateProfile:
    def test_anonymous_is_unauthenticated(self, anonymous, db):
        """Without credentials the mutation is refused at the top level."""
        body = anonymous.execute(UPDATE_PROFILE, {"input": {"displayName": "X"}})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    def test_the_user_changes_their_display_name(self, agent, agent_user):
        """The signed-in user renames themselves; errors is []."""
        data = agent.data(UPDATE_PROFILE, {"input": {"displayName": "  Agathe L.  "}})
        assert data["updateProfile"]["errors"] == []
        assert data["updateProfile"]["user"]["displayName"] == "Agathe L."
        agent_user.refresh_from_db()
        assert agent_user.display_name == "Agathe L."

    @pytest.mark.parametrize(
        ("value", "code"), [("   ", "REQUIRED"), ("x" * 151, "TOO_LONG")]
    )
    def test_bad_input_gets_a_coded_error_and_changes_nothing(
        self, agent, agent_user, value, code
    ):
        """Blank and overlong names are refused with a code naming the field."""
        data = agent.data(UPDATE_PROFILE, {"input": {"displayName": value}})
        assert data["updateProfile"]["user"] is None
        [error] = data["updateProfile"]["errors"]
        assert (error["field"], error["code"]) == ("displayName", code)
        agent_user.refresh_from_db()
        assert agent_user.display_name == "Agathe Leroy"
