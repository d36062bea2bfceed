"""The organisation: `organization`, `Department` and `Site`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from social.models import Department, Role, Site
from tests.conftest import GraphQLClient, gid, make_user, signed_in

ORGANIZATION = """
query {
  organization {
    name
    departments { id name slug }
    sites { id name address }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    ... on Department { name slug }
    ... on Site { name address }
  }
}
"""
MEMBERS = """
query Members($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Department {
      members(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { username isActive email department { slug } } }
      }
    }
  }
}
"""


@pytest.fixture
def structure(db) -> tuple[list[Department], list[Site]]:
    """Three services and two sites, created out of alphabetical order."""
    departments = [
        Department.objects.create(name=name, slug=slug)
        for name, slug in (
            ("Police municipale", "police-municipale"),
            ("Espaces verts", "espaces-verts"),
            ("État civil", "etat-civil"),
        )
    ]
    sites = [
        Site.objects.create(name="Médiathèque", address="1 place de la Poste"),
        Site.objects.create(name="Hôtel de ville", address="Place de la Mairie"),
    ]
    return departments, sites


@pytest.fixture
def admin(db) -> GraphQLClient:
    return signed_in(make_user("camille", role=Role.ADMIN))


class TestOrganization:
    def test_anonymous_gets_null(self, anonymous, structure):
        """Like `viewer`: null, not an error, when nobody is signed in."""
        assert anonymous.data(ORGANIZATION) == {"organization": None}

    @pytest.mark.parametrize("role", [Role.AGENT, Role.COMMUNICATOR, Role.ADMIN])
    def test_signed_in_users_see_departments_and_sites_by_name(self, structure, role):
        """Every signed-in user sees the structure, each list ordered by name."""
        # given
        _, sites = structure
        client = signed_in(make_user("someone", role=role))
        # when
        organization = client.data(ORGANIZATION)["organization"]
        # then
        assert organization["name"] == "Mairie"
        assert [d["name"] for d in organization["departments"]] == [
            "Espaces verts",
            "Police municipale",
            "État civil",
        ]
        assert organization["sites"] == [
            {
                "id": gid(sites[1]),
                "name": "Hôtel de ville",
                "address": sites[1].address,
            },
            {"id": gid(sites[0]), "name": "Médiathèque", "address": sites[0].address},
        ]

    def test_the_name_comes_from_the_organization_name_setting(self, agent, settings):
        """ORGANIZATION_NAME names the organisation."""
        settings.ORGANIZATION_NAME = "Mairie de Parvis-sur-Loire"
        organization = agent.data(ORGANIZATION)["organization"]
        assert organization == {
            "name": "Mairie de Parvis-sur-Loire",
            "departments": [],
            "sites": [],
        }

    def test_sql_query_count_does_not_grow_with_the_structure(self, agent, structure):
        """One query per list, however many departments and sites."""
        # given
        with CaptureQueriesContext(connection) as few:
            agent.data(ORGANIZATION)
        for i in range(20):
            Department.objects.create(name=f"Service {i}", slug=f"service-{i}")
            Site.objects.create(name=f"Site {i}")
        # when
        with CaptureQueriesContext(connection) as many:
            organization = agent.data(ORGANIZATION)["organization"]
        # then
        assert len(organization["departments"]) == 23
        assert len(many) == len(few) == 4, [q["sql"] for q in many]


class TestNodes:
    def test_signed_in_users_fetch_departments_and_sites_by_id(self, agent, structure):
        """Department and Site are Nodes."""
        departments, sites = structure
        assert agent.data(NODE, {"id": gid(departments[1])})["node"] == {
            "id": gid(departments[1]),
            "name": "Espaces verts",
            "slug": "espaces-verts",
        }
        assert agent.data(NODE, {"id": gid(sites[0])})["node"] == {
            "id": gid(sites[0]),
            "name": "Médiathèque",
            "address": "1 place de la Poste",
        }

    def test_anonymous_gets_null_as_if_absent(self, anonymous, structure):
        """Nobody signed in: a department or site is null, like a missing one."""
        departments, sites = structure
        for obj in (departments[0], sites[0]):
            assert anonymous.data(NODE, {"id": gid(obj)}) == {"node": None}
        assert anonymous.data(NODE, {"id": to_base64("Site", 999)}) == {"node": None}


class TestMembers:
    @pytest.fixture
    def parks(self, structure) -> Department:
        parks = structure[0][1]
        for i in range(30):
            make_user(
                f"jardinier{i:02d}", display_name=f"Jardinier {i:02d}", department=parks
            )
        make_user(
            "parti", display_name="Jardinier parti", department=parks, is_active=False
        )
        make_user("policier", department=structure[0][0])
        return parks

    def test_members_are_the_visible_people_of_the_department(self, agent, parks):
        """Agents page through the active members, by display name."""
        # when
        first = agent.data(MEMBERS, {"id": gid(parks), "first": 20})["node"]["members"]
        rest = agent.data(
            MEMBERS,
            {"id": gid(parks), "first": 20, "after": first["pageInfo"]["endCursor"]},
        )["node"]["members"]
        # then
        names = [e["node"]["username"] for e in first["edges"] + rest["edges"]]
        assert names == [f"jardinier{i:02d}" for i in range(30)]
        assert first["totalCount"] == 30
        assert rest["pageInfo"]["hasNextPage"] is False
        assert {e["node"]["department"]["slug"] for e in first["edges"]} == {
            "espaces-verts"
        }
        assert {e["node"]["email"] for e in first["edges"]} == {None}

    def test_admins_also_see_deactivated_members(self, admin, parks):
        """Admins see deactivated members too, flagged inactive."""
        members = admin.data(MEMBERS, {"id": gid(parks), "first": 100})["node"][
            "members"
        ]
        assert members["totalCount"] == 31
        inactive = [
            e["node"]["username"] for e in members["edges"] if not e["node"]["isActive"]
        ]
        assert inactive == ["parti"]

    def test_members_default_to_pages_of_20(self, agent, parks):
        """Without `first`, a page holds 20 members."""
        members = agent.data(MEMBERS, {"id": gid(parks)})["node"]["members"]
        assert len(members["edges"]) == 20
        assert members["pageInfo"]["hasNextPage"] is True

    @pytest.mark.parametrize("size", [1, 20, 100])
    def test_sql_query_count_does_not_grow_with_the_page_size(self, agent, parks, size):
        """A page of members costs the same SQL queries whatever its size."""
        with CaptureQueriesContext(connection) as queries:
            members = agent.data(MEMBERS, {"id": gid(parks), "first": size})["node"][
                "members"
            ]
        assert len(members["edges"]) == min(size, 30)
        # session, viewer, the department, page, its departments, count
        assert len(queries) == 6, [q["sql"] for q in queries]
