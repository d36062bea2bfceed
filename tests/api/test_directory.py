"""The directory: `users(query, departmentId, siteId)`."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from social.models import Department, Role, Site, User
from tests.conftest import GraphQLClient, gid, make_user

DIRECTORY = """
query Directory(
  $query: String, $departmentId: ID, $siteId: ID, $first: Int, $after: String,
  $last: Int, $before: String
) {
  users(
    query: $query, departmentId: $departmentId, siteId: $siteId,
    first: $first, after: $after, last: $last, before: $before
  ) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        id username displayName jobTitle isActive role email phone
        department { id name } site { id name }
      }
    }
  }
}
"""


def usernames(page: dict) -> list[str]:
    return [edge["node"]["username"] for edge in page["users"]["edges"]]


@pytest.fixture
def parks(db) -> Department:
    return Department.objects.create(name="Espaces verts", slug="espaces-verts")


@pytest.fixture
def registry(db) -> Department:
    return Department.objects.create(name="État civil", slug="etat-civil")


@pytest.fixture
def town_hall(db) -> Site:
    return Site.objects.create(name="Hôtel de ville")


@pytest.fixture
def greenhouse(db) -> Site:
    return Site.objects.create(name="Serres municipales")


@pytest.fixture
def people(parks, registry, town_hall, greenhouse) -> dict[str, User]:
    """A few colleagues with accented names, in two services on two sites."""
    rows = [
        ("gregoire.petit", "Grégoire", "Petit", parks, greenhouse),
        ("helene.petitjean", "Hélène", "Petitjean", registry, town_hall),
        ("chloe.lefevre", "Chloé", "Lefèvre", parks, town_hall),
        ("francois.noel", "François", "Noël", registry, town_hall),
        ("zoe.grégoire", "Zoé", "Grégoire", parks, greenhouse),
    ]
    return {
        username: make_user(
            username,
            first_name=first,
            last_name=last,
            department=department,
            site=site,
        )
        for username, first, last, department, site in rows
    }


class TestPermissions:
    def test_anonymous_gets_an_empty_directory(self, anonymous, people):
        """Nobody signed in: no error, no one listed."""
        page = anonymous.data(DIRECTORY)["users"]
        assert (page["totalCount"], page["edges"]) == (0, [])

    def test_agents_do_not_see_deactivated_users(self, agent, people):
        """A deactivated colleague is gone from an agent's directory."""
        # given
        gone = make_user("parti", display_name="Parti Ailleurs", is_active=False)
        # when
        names = usernames(agent.data(DIRECTORY, {"first": 100}))
        # then
        assert gone.username not in names
        assert "gregoire.petit" in names

    def test_admins_also_see_deactivated_users(self, people):
        """Admins find deactivated people (to reactivate them), flagged inactive."""
        # given
        admin = Client()
        admin.force_login(make_user("camille", role=Role.ADMIN))
        make_user("parti", display_name="Parti Ailleurs", is_active=False)
        # when
        page = GraphQLClient(admin).data(DIRECTORY, {"query": "parti"})
        # then
        [edge] = page["users"]["edges"]
        assert (edge["node"]["username"], edge["node"]["isActive"]) == (
            "parti",
            False,
        )


class TestSearch:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("Gregoire", ["gregoire.petit", "zoe.grégoire"]),
            ("GRÉGOIRE", ["gregoire.petit", "zoe.grégoire"]),
            ("petit", ["gregoire.petit", "helene.petitjean"]),
            ("helene", ["helene.petitjean"]),
            ("lefevre chloe", ["chloe.lefevre"]),
            ("noel", ["francois.noel"]),
            ("  Franç  ", ["francois.noel"]),
            ("petit grégoire", ["gregoire.petit"]),
            ("petit zoé", []),
            ("50%_", []),
            (
                "",
                [
                    "chloe.lefevre",
                    "francois.noel",
                    "gregoire.petit",
                    "helene.petitjean",
                    "zoe.grégoire",
                    "agathe",
                ],
            ),
        ],
    )
    def test_names_match_without_accents_or_case(self, agent, people, query, expected):
        """Every word must be part of a name, whatever its accents and case."""
        found = usernames(agent.data(DIRECTORY, {"query": query}))
        assert sorted(found) == sorted(expected)

    def test_results_are_ordered_by_display_name(self, agent, people):
        """The directory is sorted by display name."""
        found = agent.data(DIRECTORY, {"query": "e"})
        names = [edge["node"]["displayName"] for edge in found["users"]["edges"]]
        assert names == sorted(names)

    def test_filters_by_department_and_site_combine_with_the_query(
        self, agent, people, parks, registry, greenhouse, town_hall
    ):
        """departmentId, siteId and query all narrow the same list."""

        def find(**variables) -> list[str]:
            return sorted(usernames(agent.data(DIRECTORY, variables)))

        assert find(departmentId=gid(parks)) == [
            "chloe.lefevre",
            "gregoire.petit",
            "zoe.grégoire",
        ]
        assert find(siteId=gid(town_hall)) == [
            "chloe.lefevre",
            "francois.noel",
            "helene.petitjean",
        ]
        assert find(departmentId=gid(parks), siteId=gid(greenhouse)) == [
            "gregoire.petit",
            "zoe.grégoire",
        ]
        assert find(departmentId=gid(parks), query="petit") == ["gregoire.petit"]
        assert find(
            departmentId=gid(registry), siteId=gid(town_hall), query="NOEL"
        ) == ["francois.noel"]
        assert find(departmentId=to_base64("Department", 999_999)) == []

    def test_an_id_of_another_type_is_bad_user_input(self, agent, people, parks):
        """A site ID given as departmentId is the client's mistake, said so."""
        body = agent.execute(DIRECTORY, {"departmentId": gid(people["chloe.lefevre"])})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        body = agent.execute(DIRECTORY, {"siteId": gid(parks)})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestPaging:
    @pytest.fixture
    def crowd(self, parks, greenhouse) -> list[User]:
        """120 gardeners, half named with an accent."""
        return [
            make_user(
                f"jardinier{i:03d}",
                display_name=f"{'Élodie' if i % 2 else 'Elodie'} Jardin {i:03d}",
                department=parks,
                site=greenhouse,
                phone=f"06000{i:05d}",
            )
            for i in range(120)
        ]

    def test_a_search_is_paged_forward_and_back_without_gap(self, agent, crowd):
        """Cursor pages of a search visit every match once, in both directions."""
        # when
        forward, after = [], None
        while True:
            page = agent.data(
                DIRECTORY, {"query": "elodie", "first": 25, "after": after}
            )["users"]
            forward += [edge["node"]["username"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        backward, before = [], None
        while True:
            page = agent.data(
                DIRECTORY, {"query": "elodie", "last": 25, "before": before}
            )["users"]
            backward = [edge["node"]["username"] for edge in page["edges"]] + backward
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        # then
        assert page["totalCount"] == 120
        assert len(forward) == len(set(forward)) == 120
        assert backward == forward

    def test_a_page_past_100_is_refused(self, agent, crowd):
        """`first` above 100 is refused with BAD_USER_INPUT, before any query."""
        body = agent.execute(DIRECTORY, {"first": 500})
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    @pytest.mark.parametrize("viewer_role", [Role.AGENT, Role.ADMIN])
    def test_sql_query_count_does_not_grow_with_the_page_size(
        self, crowd, parks, greenhouse, viewer_role
    ):
        """Pages of 1, 20 and 100 with department, site and contact details cost
        the same few SQL queries, for agents and for admins.
        """
        # given
        client = Client()
        client.force_login(make_user("viewer", role=viewer_role))
        directory = GraphQLClient(client)
        variables = {"query": "jardin", "departmentId": gid(parks)}
        counts = []
        # when
        for size in (1, 20, 100):
            with CaptureQueriesContext(connection) as queries:
                page = directory.data(DIRECTORY, {**variables, "first": size})["users"]
            assert len(page["edges"]) == size
            assert page["edges"][-1]["node"]["site"]["name"] == greenhouse.name
            counts.append(len(queries))
        # then
        assert counts[0] == counts[1] == counts[2], counts
        # session, viewer, page, its departments, its sites, count
        assert counts[0] == 6, [q["sql"] for q in queries]
