"""The `Group` type, `groups`, `group(slug)`, `createGroup` and `updateGroup`."""

import re
import threading
import time
from dataclasses import dataclass, field

import psycopg
import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from graphql_schema.groups.types import ANNOTATED_FIELDS
from graphql_schema.groups.types import Group as GroupType
from graphql_schema.schema import schema
from social.models import (
    Department,
    Group,
    GroupKind,
    GroupRole,
    Membership,
    MembershipStatus,
    Post,
    Role,
    User,
    Visibility,
)
from tests.conftest import GraphQLClient, gid, make_user, signed_in

GROUP_FIELDS = """
fragment GroupFields on Group {
  id name slug description kind visibility createdAt
  department { name }
  memberCount viewerRole viewerIsMember viewerHasPendingRequest
  members(first: 100) {
    totalCount
    edges { node { id role createdAt user { username } group { slug } } }
  }
  pendingRequests(first: 100) {
    totalCount
    edges { node { id role user { username } } }
  }
  posts(first: 100) { totalCount edges { node { id body } } }
}
"""
GROUP = (
    GROUP_FIELDS
    + """
query Group($slug: String!) { group(slug: $slug) { ...GroupFields } }
"""
)
NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Group { name slug } } }
"""
NODES = """
query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id ... on Group { name slug } } }
"""
MEMBER_NODE = """
query Member($id: ID!) {
  node(id: $id) { id ... on GroupMember { role user { username } group { name } } }
}
"""
GROUPS = """
query Groups(
  $query: String, $kind: GroupKind, $membership: MembershipFilter,
  $first: Int, $after: String
) {
  groups(
    query: $query, kind: $kind, membership: $membership, first: $first,
    after: $after
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { name slug } }
  }
}
"""
GROUPS_PAGE = """
query GroupsPage($first: Int) {
  groups(first: $first) {
    totalCount
    edges {
      cursor
      node {
        id name slug description kind visibility createdAt
        department { id name }
        memberCount viewerRole viewerIsMember viewerHasPendingRequest
      }
    }
  }
}
"""
CREATE = """
mutation Create($input: CreateGroupInput!) {
  createGroup(input: $input) {
    group {
      id name slug description kind visibility department { name }
      memberCount viewerRole viewerIsMember viewerHasPendingRequest
    }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateGroupInput!) {
  updateGroup(input: $input) {
    group { id name slug description kind visibility }
    errors { field code message }
  }
}
"""

VIEWERS = [
    "anonymous",
    "outsider",
    "member",
    "requester",
    "group_admin",
    "owner",
    "communicator",
    "org_admin",
]
VISIBILITIES = [Visibility.PUBLIC, Visibility.PRIVATE, Visibility.SECRET]
ROLE_OF = {"owner": "OWNER", "group_admin": "ADMIN", "member": "MEMBER"}
MODERATORS = ("owner", "group_admin")


def sees_group(viewer: str, visibility: str) -> bool:
    """The rule of API.md: secret groups exist for their members only."""
    if viewer == "anonymous":
        return False
    return visibility != Visibility.SECRET or viewer in ROLE_OF


def reads_content(viewer: str, visibility: str) -> bool:
    """Posts and members: public groups for all, the others for members."""
    if viewer == "anonymous":
        return False
    return visibility == Visibility.PUBLIC or viewer in ROLE_OF


@dataclass
class Town:
    """Three groups, one per visibility, and someone in every position."""

    users: dict[str, User]
    groups: dict[str, Group]
    clients: dict[str, GraphQLClient] = field(default_factory=dict)

    def client(self, viewer: str) -> GraphQLClient:
        return self.clients[viewer]

    def group(self, visibility: str) -> Group:
        return self.groups[visibility]


GROUP_NAMES = {
    Visibility.PUBLIC: ("Les Jardins partagés", "jardins-partages"),
    Visibility.PRIVATE: ("Comité des fêtes", "comite-des-fetes"),
    Visibility.SECRET: ("Le Cercle des chefs", "cercle-des-chefs"),
}


def build_town() -> Town:
    """Every position in each group: owner, admin, member, a pending requester
    (even in the secret group, where it must grant nothing), a deactivated
    member, and people with no place in it."""
    users = {
        "outsider": make_user("olivier", display_name="Olivier Dehors"),
        "member": make_user("marie", display_name="Marie Membre"),
        "requester": make_user("paul", display_name="Paul Postulant"),
        "group_admin": make_user("ada", display_name="Ada Admin"),
        "owner": make_user("oscar", display_name="Oscar Owner"),
        "communicator": make_user(
            "coline", display_name="Coline Com", role=Role.COMMUNICATOR
        ),
        "org_admin": make_user("camille", display_name="Camille Root", role=Role.ADMIN),
        "gone": make_user("gaston", display_name="Gaston Parti"),
    }
    groups = {}
    for visibility, (name, slug) in GROUP_NAMES.items():
        group = Group.objects.create(
            name=name,
            slug=slug,
            description=f"Le groupe {name}",
            kind=GroupKind.SOCIAL,
            visibility=visibility,
            created_by=users["owner"],
        )
        positions = [
            ("owner", GroupRole.OWNER, MembershipStatus.ACTIVE),
            ("group_admin", GroupRole.ADMIN, MembershipStatus.ACTIVE),
            ("member", GroupRole.MEMBER, MembershipStatus.ACTIVE),
            ("requester", GroupRole.MEMBER, MembershipStatus.PENDING),
            ("gone", GroupRole.MEMBER, MembershipStatus.ACTIVE),
        ]
        for who, role, status in positions:
            Membership.objects.create(
                group=group, user=users[who], role=role, status=status
            )
        Post.objects.create(
            author=users["member"],
            group=group,
            body=f"Bienvenue dans {name}",
            body_html=f"<p>Bienvenue dans {name}</p>",
        )
        groups[visibility] = group
    users["gone"].is_active = False
    users["gone"].save(update_fields=["is_active"])
    town = Town(users=users, groups=groups)
    town.clients = {who: signed_in(user) for who, user in users.items()}
    town.clients["anonymous"] = GraphQLClient(Client())
    return town


@pytest.fixture
def town(db) -> Town:
    return build_town()


def expected_group(town: Town, viewer: str, visibility: str) -> dict | None:
    """The whole `Group` as `viewer` must see it, or None."""
    if not sees_group(viewer, visibility):
        return None
    group = town.group(visibility)
    content = reads_content(viewer, visibility)
    members = ["oscar", "ada", "marie"] if content else []
    requests = ["paul"] if viewer in MODERATORS else []
    return {
        "name": group.name,
        "slug": group.slug,
        "kind": "SOCIAL",
        "visibility": visibility,
        "memberCount": 3,
        "viewerRole": ROLE_OF.get(viewer),
        "viewerIsMember": viewer in ROLE_OF,
        "viewerHasPendingRequest": viewer == "requester"
        and visibility != Visibility.SECRET,
        "members": members,
        "pendingRequests": requests,
        "posts": 1 if content else 0,
    }


def summary(group: dict | None) -> dict | None:
    """The parts of a `Group` result that depend on the viewer."""
    if group is None:
        return None
    return {
        "name": group["name"],
        "slug": group["slug"],
        "kind": group["kind"],
        "visibility": group["visibility"],
        "memberCount": group["memberCount"],
        "viewerRole": group["viewerRole"],
        "viewerIsMember": group["viewerIsMember"],
        "viewerHasPendingRequest": group["viewerHasPendingRequest"],
        "members": [e["node"]["user"]["username"] for e in group["members"]["edges"]],
        "pendingRequests": [
            e["node"]["user"]["username"] for e in group["pendingRequests"]["edges"]
        ],
        "posts": group["posts"]["totalCount"],
    }


def names(page: dict) -> list[str]:
    return [edge["node"]["name"] for edge in page["groups"]["edges"]]


class TestGroupType:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_every_field_for_every_viewer(self, town, viewer, visibility):
        """Each viewer sees exactly what API.md allows: the group unless secret
        to them, members and posts if they may read its content, pending requests
        if they moderate it, and their own place in it."""
        # when
        result = town.client(viewer).data(GROUP, {"slug": town.group(visibility).slug})[
            "group"
        ]
        # then
        assert summary(result) == expected_group(town, viewer, visibility)
        if result is not None:
            assert result["id"] == gid(town.group(visibility))
            assert result["members"]["totalCount"] == len(result["members"]["edges"])

    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_node_and_nodes_follow_the_same_rule(self, town, viewer, visibility):
        """A group the viewer may not see is null through node and nodes."""
        # given
        group = town.group(visibility)
        client = town.client(viewer)
        # when
        by_node = client.data(NODE, {"id": gid(group)})["node"]
        by_nodes = client.data(NODES, {"ids": [gid(group)]})["nodes"]
        # then
        visible = sees_group(viewer, visibility)
        assert (by_node is not None) == visible
        assert by_nodes == [by_node]

    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_a_membership_node_follows_the_content_rule(self, town, viewer, visibility):
        """A GroupMember is readable where the group's members are; a request to
        join by its moderators and its requester (never in a secret group)."""
        # given
        group = town.group(visibility)
        member = Membership.objects.get(group=group, user=town.users["member"])
        request = Membership.objects.get(group=group, user=town.users["requester"])
        gone = Membership.objects.get(group=group, user=town.users["gone"])
        client = town.client(viewer)

        def fetch(membership: Membership) -> dict | None:
            return client.data(MEMBER_NODE, {"id": gid_of(membership)})["node"]

        # then
        assert (fetch(member) is not None) == reads_content(viewer, visibility)
        sees_request = viewer in MODERATORS or (
            viewer == "requester" and visibility != Visibility.SECRET
        )
        assert (fetch(request) is not None) == sees_request
        assert fetch(gone) is None

    def test_the_viewer_state_of_a_fresh_membership(self, town):
        """A member's node shows their role and the group."""
        membership = Membership.objects.get(
            group=town.group(Visibility.PRIVATE), user=town.users["group_admin"]
        )
        node = town.client("member").data(MEMBER_NODE, {"id": gid_of(membership)})
        assert node["node"] == {
            "id": gid_of(membership),
            "role": "ADMIN",
            "user": {"username": "ada"},
            "group": {"name": "Comité des fêtes"},
        }


def gid_of(membership: Membership) -> str:
    return to_base64("GroupMember", membership.pk)


class TestSecretGroupsNeverLeak:
    @pytest.mark.parametrize(
        "viewer", ["anonymous", "outsider", "requester", "communicator", "org_admin"]
    )
    def test_a_secret_group_is_absent_everywhere(self, town, viewer):
        """Non-members find no trace of a secret group: not in the list nor its
        count, not by slug, node, nodes, name search or its members' nodes."""
        # given
        secret = town.group(Visibility.SECRET)
        client = town.client(viewer)
        member = Membership.objects.get(group=secret, user=town.users["member"])
        # when
        page = client.data(GROUPS, {"first": 100})["groups"]
        search = client.data(GROUPS, {"query": "cercle"})["groups"]
        mine = client.data(GROUPS, {"membership": "MEMBER"})["groups"]
        # then
        listed = [edge["node"]["slug"] for edge in page["edges"]]
        assert secret.slug not in listed
        assert page["totalCount"] == (0 if viewer == "anonymous" else 2)
        assert (search["totalCount"], search["edges"]) == (0, [])
        assert mine["totalCount"] == 0
        assert client.data(GROUP, {"slug": secret.slug}) == {"group": None}
        assert client.data(NODE, {"id": gid(secret)}) == {"node": None}
        assert client.data(NODES, {"ids": [gid(secret)]}) == {"nodes": [None]}
        assert client.data(MEMBER_NODE, {"id": gid_of(member)}) == {"node": None}

    def test_members_see_their_secret_group(self, town):
        """Its members list and find it like any other group."""
        page = town.client("member").data(GROUPS, {"query": "cercle"})["groups"]
        assert names({"groups": page}) == ["Le Cercle des chefs"]


class TestGroupsQuery:
    @pytest.fixture
    def named(self, town) -> Town:
        """Groups named as in the demo town hall."""
        for name, kind in [
            ("La Machine à café", GroupKind.SOCIAL),
            ("La Mairie dans la marmite", GroupKind.SOCIAL),
            ("Un jour, une fleur", GroupKind.TOPIC),
            ("Œuvres sociales", GroupKind.TOPIC),
            ("Rénovation de l'école", GroupKind.PROJECT),
        ]:
            Group.objects.create(
                name=name,
                slug=name.lower().replace(" ", "-"),
                kind=kind,
                visibility=Visibility.PUBLIC,
            )
        Group.objects.filter(name="Un jour, une fleur").update(
            description="Une photo de fleur des Espaces verts, chaque matin"
        )
        return town

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("marmite", ["La Mairie dans la marmite"]),
            ("MAIRIE marmite", ["La Mairie dans la marmite"]),
            ("cafe", ["La Machine à café"]),
            ("CAFÉ", ["La Machine à café"]),
            ("machine À", ["La Machine à café"]),
            ("oeuvres", ["Œuvres sociales"]),
            ("œuvre", ["Œuvres sociales"]),
            ("ecole renovation", ["Rénovation de l'école"]),
            ("l'ecole", ["Rénovation de l'école"]),
            ("espaces verts", ["Un jour, une fleur"]),
            ("fete", ["Comité des fêtes"]),
            ("jour,", ["Un jour, une fleur"]),
            ("marmite café", []),
            ("50%_.*", []),
            ("[a-z]+", []),
            ("\\", []),
        ],
    )
    def test_query_ignores_accents_and_case(self, named, query, expected):
        """Every word must be in the name or the description, whatever its
        accents and case; regex characters are only characters."""
        found = names(named.client("outsider").data(GROUPS, {"query": query}))
        assert found == expected

    def test_groups_are_ordered_by_name(self, named):
        """The list is sorted by name, secret groups only for their members."""
        outsider = names(named.client("outsider").data(GROUPS, {"first": 100}))
        member = names(named.client("member").data(GROUPS, {"first": 100}))
        assert outsider == sorted(outsider)
        assert sorted(set(member) - set(outsider)) == ["Le Cercle des chefs"]

    def test_kind_narrows_the_list(self, named):
        """`kind` keeps the groups of that kind."""
        found = names(named.client("outsider").data(GROUPS, {"kind": "TOPIC"}))
        assert found == ["Un jour, une fleur", "Œuvres sociales"]

    @pytest.mark.parametrize(
        ("viewer", "expected"),
        [
            ("outsider", []),
            ("requester", []),
            ("org_admin", []),
            (
                "member",
                ["Comité des fêtes", "Le Cercle des chefs", "Les Jardins partagés"],
            ),
        ],
    )
    def test_membership_member_keeps_the_viewers_groups(self, named, viewer, expected):
        """`membership: MEMBER` lists the groups the viewer is an active member
        of; a pending request is not membership."""
        page = named.client(viewer).data(GROUPS, {"membership": "MEMBER"})
        assert names(page) == expected

    def test_anonymous_gets_an_empty_list(self, named):
        """Nobody signed in: no error, no group."""
        page = named.client("anonymous").data(GROUPS)["groups"]
        assert (page["totalCount"], page["edges"]) == (0, [])

    def test_pages_visit_every_group_once(self, named):
        """Cursor pages of two visit every visible group once, in order."""
        client = named.client("member")
        seen, after = [], None
        while True:
            page = client.data(GROUPS, {"first": 2, "after": after})["groups"]
            seen += [edge["node"]["name"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == names(client.data(GROUPS, {"first": 100}))
        assert len(seen) == page["totalCount"] == 8

    def test_an_unknown_slug_is_null(self, town):
        """group(slug) is null for a slug nobody has."""
        assert town.client("owner").data(GROUP, {"slug": "nope"}) == {"group": None}


class TestSqlQueryCount:
    @pytest.fixture
    def many(self, db) -> User:
        """110 public groups of a department with members; the viewer owns some,
        is a member of some and awaits approval in others."""
        viewer = make_user("vera", display_name="Véra Vue")
        parks = Department.objects.create(name="Espaces verts", slug="espaces-verts")
        others = [make_user(f"agent{i}") for i in range(3)]
        groups = Group.objects.bulk_create(
            [
                Group(
                    name=f"Groupe {i:03d}",
                    slug=f"groupe-{i:03d}",
                    kind=GroupKind.TOPIC,
                    visibility=Visibility.PRIVATE if i % 2 else Visibility.PUBLIC,
                    department=parks,
                )
                for i in range(110)
            ]
        )
        memberships = []
        for i, group in enumerate(groups):
            memberships += [
                Membership(group=group, user=user) for user in others[: i % 4]
            ]
            if i % 3 == 0:
                role = GroupRole.OWNER if i % 2 else GroupRole.MEMBER
                memberships.append(Membership(group=group, user=viewer, role=role))
            elif i % 3 == 1:
                memberships.append(
                    Membership(
                        group=group, user=viewer, status=MembershipStatus.PENDING
                    )
                )
        Membership.objects.bulk_create(memberships)
        return viewer

    def test_a_page_of_groups_costs_the_same_whatever_its_size(self, many):
        """Pages of 1, 20 and 100 groups with counts, department and the viewer's
        state cost the same few SQL queries, with the right values."""
        # given
        client = signed_in(many)
        counts = []
        # when
        for size in (1, 20, 100):
            with CaptureQueriesContext(connection) as queries:
                page = client.data(GROUPS_PAGE, {"first": size})["groups"]
            assert len(page["edges"]) == size
            counts.append(len(queries))
        # then
        assert counts[0] == counts[1] == counts[2], counts
        # session, viewer, count, page (with its subqueries), its departments
        assert counts[0] == 5, [query["sql"] for query in queries]
        for index, edge in enumerate(page["edges"]):
            node = edge["node"]
            viewer_in = index % 3 == 0
            assert node["name"] == f"Groupe {index:03d}"
            assert node["memberCount"] == index % 4 + viewer_in
            assert node["viewerIsMember"] is viewer_in
            assert node["viewerHasPendingRequest"] is (index % 3 == 1)
            assert node["viewerRole"] == (
                ("OWNER" if index % 2 else "MEMBER") if viewer_in else None
            )
            assert node["department"]["name"] == "Espaces verts"


class TestCreateGroup:
    def test_anonymous_is_unauthenticated(self, town):
        """Creating a group needs a signed-in user."""
        body = town.client("anonymous").execute(
            CREATE,
            {"input": {"name": "X", "kind": "TOPIC", "visibility": "PUBLIC"}},
        )
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert not Group.objects.filter(name="X").exists()

    @pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "anonymous"])
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    def test_anyone_signed_in_creates_and_owns_a_group(self, town, viewer, visibility):
        """Every signed-in user starts groups of every visibility and owns them."""
        # when
        result = town.client(viewer).data(
            CREATE,
            {
                "input": {
                    "name": "  Mairie dans la marmite ",
                    "description": "Recettes du midi",
                    "kind": "SOCIAL",
                    "visibility": visibility,
                }
            },
        )["createGroup"]
        # then
        assert result["errors"] == []
        slug = result["group"].pop("slug")
        # A secret group's slug carries a random suffix (TestSecretGroupSlugs).
        if visibility == "SECRET":
            assert re.fullmatch(r"mairie-dans-la-marmite-[0-9a-f]{8}", slug)
        else:
            assert slug == "mairie-dans-la-marmite"
        assert {k: v for k, v in result["group"].items() if k != "id"} == {
            "name": "Mairie dans la marmite",
            "description": "Recettes du midi",
            "kind": "SOCIAL",
            "visibility": visibility,
            "department": None,
            "memberCount": 1,
            "viewerRole": "OWNER",
            "viewerIsMember": True,
            "viewerHasPendingRequest": False,
        }
        group = Group.objects.get(slug=slug)
        assert group.created_by == town.users[viewer]
        assert list(group.memberships.values_list("user__username", "role")) == [
            (town.users[viewer].username, "OWNER")
        ]

    def test_slugs_are_unique_and_made_from_french_names(self, town):
        """The same name gets -2, -3; accents and elisions become plain words."""
        client = town.client("member")

        def create(name: str) -> str:
            result = client.data(
                CREATE,
                {"input": {"name": name, "kind": "TOPIC", "visibility": "PUBLIC"}},
            )["createGroup"]
            assert result["errors"] == []
            return result["group"]["slug"]

        assert create("La Machine à café") == "la-machine-a-cafe"
        assert create("La machine à Café !") == "la-machine-a-cafe-2"
        assert create("LA MACHINE À CAFÉ") == "la-machine-a-cafe-3"
        assert create("L'été à l'Hôtel de Ville") == "l-ete-a-l-hotel-de-ville"
        assert create("Œuvres sociales") == "oeuvres-sociales"
        assert create("🌻🌻") == "groupe"
        assert create("Comité des fêtes") == "comite-des-fetes-2"

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_a_creation_that_loses_the_race_for_a_slug_takes_the_next(self):
        """Another transaction takes the slug between the check and the insert:
        the insert waits for it, fails on the unique constraint, and the group
        gets the next slug instead of an error."""
        # given: another connection inserted the slug and has not committed yet
        creator = signed_in(make_user("rapide"))
        db = connection.settings_dict
        rival = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            host=db["HOST"],
            port=db["PORT"] or None,
        )
        rival.execute(
            "INSERT INTO social_group (name, slug, description, kind, visibility,"
            " created_at) VALUES ('Rival', 'la-course', '', 'TOPIC', 'PUBLIC', now())"
        )
        results = []

        def create() -> None:
            try:
                results.append(
                    creator.data(
                        CREATE,
                        {
                            "input": {
                                "name": "La course",
                                "kind": "TOPIC",
                                "visibility": "PUBLIC",
                            }
                        },
                    )["createGroup"]
                )
            finally:
                connections.close_all()

        # when: the creation blocks on the rival's row, then the rival commits
        thread = threading.Thread(target=create)
        thread.start()
        try:
            for _ in range(3000):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE "
                        "datname = current_database() AND wait_event_type = 'Lock'"
                    )
                    if cursor.fetchone()[0]:
                        break
                time.sleep(0.01)  # polling for the wait, not timing anything
            rival.commit()
        finally:
            rival.close()
            thread.join()
        # then
        [result] = results
        assert result["errors"] == []
        assert result["group"]["slug"] == "la-course-2"
        assert Group.objects.filter(slug__startswith="la-course").count() == 2

    def test_a_department_is_attached(self, town):
        """departmentId names the service the group is about."""
        parks = Department.objects.create(name="Espaces verts", slug="espaces-verts")
        result = town.client("member").data(
            CREATE,
            {
                "input": {
                    "name": "Espaces verts",
                    "kind": "DEPARTMENT",
                    "visibility": "PUBLIC",
                    "departmentId": gid(parks),
                }
            },
        )["createGroup"]
        assert result["errors"] == []
        assert result["group"]["department"] == {"name": "Espaces verts"}

    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            ({"name": "   "}, [("name", "REQUIRED")]),
            ({"name": "x" * 121}, [("name", "TOO_LONG")]),
            ({"description": "x" * 2001}, [("description", "TOO_LONG")]),
            (
                {"name": "", "description": "x" * 2001},
                [("name", "REQUIRED"), ("description", "TOO_LONG")],
            ),
            (
                {"departmentId": to_base64("Department", 999)},
                [("departmentId", "NOT_FOUND")],
            ),
            ({"departmentId": to_base64("User", 1)}, [("departmentId", "NOT_FOUND")]),
        ],
    )
    def test_bad_input_changes_nothing(self, town, fields, errors):
        """Refused input creates no group and no membership."""
        # given
        before = (Group.objects.count(), Membership.objects.count())
        # when
        result = town.client("member").data(
            CREATE,
            {
                "input": {
                    "name": "Valide",
                    "kind": "TOPIC",
                    "visibility": "PUBLIC",
                    **fields,
                }
            },
        )["createGroup"]
        # then
        assert result["group"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == errors
        assert (Group.objects.count(), Membership.objects.count()) == before

    def test_an_unknown_kind_is_bad_user_input(self, town):
        """Enums are checked by GraphQL itself."""
        body = town.client("member").execute(
            CREATE, {"input": {"name": "X", "kind": "FUN", "visibility": "PUBLIC"}}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestUpdateGroup:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_owners_and_admins_update(self, town, viewer, visibility):
        """Moderators change the settings; others get FORBIDDEN, or NOT_FOUND for
        a group they may not see; anonymous clients UNAUTHENTICATED. The slug
        stays when the group is renamed."""
        # given
        group = town.group(visibility)
        variables = {
            "input": {
                "groupId": gid(group),
                "name": "Nouveau nom",
                "description": "Nouvelle description",
                "kind": "PROJECT",
            }
        }
        # when
        body = town.client(viewer).execute(UPDATE, variables)
        # then
        group.refresh_from_db()
        if viewer == "anonymous":
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert group.name == GROUP_NAMES[visibility][0]
            return
        result = body["data"]["updateGroup"]
        if viewer in MODERATORS:
            assert result["errors"] == []
            assert result["group"] == {
                "id": gid(group),
                "name": "Nouveau nom",
                "slug": GROUP_NAMES[visibility][1],
                "description": "Nouvelle description",
                "kind": "PROJECT",
                "visibility": visibility,
            }
            assert group.name == "Nouveau nom"
            return
        code = "FORBIDDEN" if sees_group(viewer, visibility) else "NOT_FOUND"
        assert result["group"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("groupId", code)
        ]
        assert group.name == GROUP_NAMES[visibility][0]

    def test_fields_left_out_stay(self, town):
        """Only the given fields change."""
        group = town.group(Visibility.PUBLIC)
        result = town.client("owner").data(
            UPDATE, {"input": {"groupId": gid(group), "description": ""}}
        )["updateGroup"]
        assert result["errors"] == []
        assert result["group"]["name"] == "Les Jardins partagés"
        assert result["group"]["description"] == ""

    def test_making_a_group_secret_drops_pending_requests(self, town):
        """A secret group is joined only when added: requests to it go."""
        # given
        group = town.group(Visibility.PRIVATE)
        # when
        result = town.client("group_admin").data(
            UPDATE, {"input": {"groupId": gid(group), "visibility": "SECRET"}}
        )["updateGroup"]
        # then
        assert result["errors"] == []
        assert result["group"]["visibility"] == "SECRET"
        assert not group.memberships.filter(status=MembershipStatus.PENDING).exists()
        slug = {"slug": group.slug}
        assert town.client("requester").data(GROUP, slug) == {"group": None}
        assert town.client("outsider").data(GROUP, slug) == {"group": None}

    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            ({"name": " "}, [("name", "REQUIRED")]),
            ({"name": None}, [("name", "REQUIRED")]),
            ({"visibility": None}, [("visibility", "REQUIRED")]),
            (
                {"name": "x" * 121, "description": "x" * 2001},
                [("name", "TOO_LONG"), ("description", "TOO_LONG")],
            ),
        ],
    )
    def test_bad_input_changes_nothing(self, town, fields, errors):
        """A refused update leaves the group as it was."""
        # given
        group = town.group(Visibility.PUBLIC)
        before = Group.objects.filter(pk=group.pk).values().get()
        # when
        result = town.client("owner").data(
            UPDATE,
            {"input": {"groupId": gid(group), "description": "Changée", **fields}},
        )["updateGroup"]
        # then
        assert result["group"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == errors
        assert Group.objects.filter(pk=group.pk).values().get() == before

    def test_an_id_of_another_type_is_not_found(self, town):
        """A user's ID given as groupId is refused as a missing group."""
        result = town.client("owner").data(
            UPDATE, {"input": {"groupId": gid(town.users["owner"]), "name": "Z"}}
        )["updateGroup"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            ("groupId", "NOT_FOUND")
        ]


class TestSecretGroupSlugs:
    """A secret group's slug gives nothing away: it never holds the plain slug of
    its name, which a colleague creating a group of that name would bump to -2."""

    def create(self, client: GraphQLClient, name: str, visibility: str) -> dict:
        payload = client.data(
            CREATE,
            {"input": {"name": name, "kind": "PROJECT", "visibility": visibility}},
        )["createGroup"]
        assert payload["errors"] == []
        return payload["group"]

    def test_a_group_named_like_a_secret_one_gets_the_plain_slug(self, db):
        # given
        insider = signed_in(make_user("sophie"))
        outsider = signed_in(make_user("olga"))
        secret = self.create(insider, "Cellule de crise", "SECRET")
        # when
        mine = self.create(outsider, "Cellule de crise", "PUBLIC")
        # then
        assert secret["slug"].startswith("cellule-de-crise-")
        assert mine["slug"] == "cellule-de-crise"

    def test_a_group_made_secret_leaves_its_plain_slug(self, db):
        # given
        owner = signed_in(make_user("sophie"))
        group = self.create(owner, "Projet piscine", "PRIVATE")
        # when
        updated = owner.data(
            UPDATE, {"input": {"groupId": group["id"], "visibility": "SECRET"}}
        )["updateGroup"]["group"]
        # then
        assert updated["slug"] != "projet-piscine"
        assert updated["slug"].startswith("projet-piscine-")
        other = self.create(signed_in(make_user("olga")), "Projet piscine", "PUBLIC")
        assert other["slug"] == "projet-piscine"


def test_the_groups_loader_knows_every_annotation_of_the_group_type():
    """A post's group comes from the groups loader, which adds the annotations
    of the fields a page selects, by `ANNOTATED_FIELDS`: a field annotating
    anything else would cost a query per group in a feed."""
    name_of = schema.config.name_converter.get_graphql_name
    declared = {
        name_of(field): tuple(field.store.annotate)
        for field in GroupType.__strawberry_definition__.fields
        if getattr(field, "store", None) is not None and field.store.annotate
    }
    assert declared == ANNOTATED_FIELDS


MEMBER_NAMES = """
query Members($slug: String!) {
  group(slug: $slug) { members(first: 100) { edges { node { user { username } } } } }
}
"""


@pytest.mark.parametrize("viewer", ["member", "org_admin"])
def test_a_list_of_members_joins_their_users_once(town, viewer):
    """The membership rule (active members only) filters the list's own query:
    the member's user is joined once, not once more for the rule, as
    `queryset & rule` did (Django's `&` repeats the joins of its right side)."""
    # given
    client = town.client(viewer)
    slug = town.group(Visibility.PUBLIC).slug
    # when
    with CaptureQueriesContext(connection) as queries:
        data = client.data(MEMBER_NAMES, {"slug": slug})
    # then
    names = {
        edge["node"]["user"]["username"] for edge in data["group"]["members"]["edges"]
    }
    assert "marie" in names
    assert "gaston" not in names  # deactivated: not a member any more
    listed = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "social_membership"."id"')
        and "LIMIT" in query["sql"]
    ]
    assert len(listed) == 1, listed
    assert listed[0].count('JOIN "social_user"') == 1, listed[0]
