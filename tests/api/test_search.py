"""Search through the API: French matching, permissions, index sync, bad input.

The same behaviour is expected on SQLite (FTS5) and PostgreSQL (tsvector).
"""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from social.actions.comments import comment_add, comment_delete, comment_update
from social.actions.groups import group_create, group_update
from social.actions.posts import post_create, post_delete, post_update
from social.models import Group, Membership, Role, SearchEntry, User
from tests.conftest import GraphQLClient, gid, make_user, signed_in

SEARCH = """
query Search($query: String!, $first: Int, $after: String, $types: [SearchType!]) {
  search(query: $query, first: $first, after: $after, types: $types) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor score snippet
      node {
        __typename
        ... on Post { id body }
        ... on Comment { id body }
        ... on Group { id name }
        ... on User { id displayName }
      }
    }
  }
}
"""


def found(client: GraphQLClient, query: str, **variables) -> dict:
    """The search connection for `query`."""
    return client.data(SEARCH, {"query": query, **variables})["search"]


def ids(result: dict) -> list[str]:
    return [edge["node"]["id"] for edge in result["edges"]]


@dataclass
class World:
    owner: User
    member: User
    outsider: User
    org_admin: User
    communicator: User
    public: Group
    private: Group
    secret: Group


@pytest.fixture
def world(db) -> World:
    owner = make_user("owner", display_name="Odile Propriétaire")
    member = make_user("member", display_name="Marc Membre")
    outsider = make_user("outsider", display_name="Olivier Dehors")
    org_admin = make_user("orgadmin", display_name="Anne Admin", role=Role.ADMIN)
    communicator = make_user("comm", display_name="Camille Com", role=Role.COMMUNICATOR)
    groups = {}
    for visibility, name in (
        ("PUBLIC", "Jardins partagés"),
        ("PRIVATE", "Comité des fêtes"),
        ("SECRET", "Cellule confidentielle"),
    ):
        group = group_create(
            actor=owner, name=name, description="", kind="TOPIC", visibility=visibility
        )
        Membership.objects.create(group=group, user=member)
        groups[visibility] = group
    return World(
        owner,
        member,
        outsider,
        org_admin,
        communicator,
        groups["PUBLIC"],
        groups["PRIVATE"],
        groups["SECRET"],
    )


def publish(world: World, group: Group | None, body: str):
    author = world.communicator if group is None else world.owner
    return post_create(
        actor=author, group_id=None if group is None else group.pk, body=body
    )


# --- French matching ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("fleur", "Les fleurs du printemps arrivent."),
        ("evenement", "Trois événements ce mois-ci."),
        ("ÉVÉNEMENTS", "Un evenement annulé."),
        ("jard", "Atelier au jardin municipal."),
        ("Réunion", "reunion du personnel jeudi"),
        ("chevaux", "Les chevaux de la police montée."),
    ],
)
def test_matches_french_words_ignoring_accents_case_and_endings(world, query, text):
    """Stems, accents, case and prefixes match like a French reader expects."""
    # given
    post = publish(world, None, text)
    publish(world, None, "Rien à voir: la cantine ferme tôt.")
    # when
    result = found(signed_in(world.outsider), query, types=["POST"])
    # then
    assert ids(result) == [gid(post)]
    assert result["totalCount"] == 1


def test_every_word_must_match(world):
    """A hit contains every word of the query (stems, as prefixes)."""
    # given
    both = publish(world, None, "Fête des jardins samedi")
    publish(world, None, "Fête de la musique")
    # when
    result = found(signed_in(world.member), "jardin fête", types=["POST"])
    # then
    assert ids(result) == [gid(both)]


@pytest.mark.parametrize("query", ["Grimaut", "grimault", "Grimauld", "paul grim"])
def test_people_match_with_a_small_typo(world, query):
    """A half-remembered name finds the colleague."""
    # given
    paul = make_user("pgrimault", display_name="Paul Grimault")
    make_user("jdupont", display_name="Jeanne Dupont")
    # when
    result = found(signed_in(world.member), query, types=["USER"])
    # then
    assert ids(result) == [gid(paul)]


def test_groups_match_with_a_small_typo(world):
    """A group's name matches with a typo ("Comite des fettes")."""
    # when
    result = found(signed_in(world.member), "Comitée", types=["GROUP"])
    # then
    assert ids(result) == [gid(world.private)]


def test_posts_do_not_match_with_typos(world):
    """Typos are for names: content needs the right word."""
    # given
    publish(world, None, "Le Grimault est fermé")
    # when
    result = found(signed_in(world.member), "Grimaut", types=["POST"])
    # then
    assert result["totalCount"] == 0


def test_snippet_highlights_matched_words_and_escapes_content(world):
    """The snippet marks matches with <mark> and holds no other markup."""
    # given
    publish(world, None, 'Les <b>fleurs</b> & <script>alert("x")</script> du parc')
    # when
    snippet = found(signed_in(world.member), "fleur", types=["POST"])["edges"][0][
        "snippet"
    ]
    # then
    assert "<mark>fleurs</mark>" in snippet
    without_marks = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks
    assert ">" not in without_marks
    assert "&lt;script&gt;" in without_marks


def test_ranks_more_relevant_first(world):
    """A text that repeats the word ranks above one that mentions it once."""
    # given
    once = publish(world, None, "Budget voté, et aussi des points divers sur la voirie")
    many = publish(world, None, "Budget: le budget 2025 et le budget annexe")
    # when
    result = found(signed_in(world.member), "budget", types=["POST"])
    # then
    assert ids(result) == [gid(many), gid(once)]
    scores = [edge["score"] for edge in result["edges"]]
    assert scores[0] >= scores[1]


def test_types_narrow_the_kinds(world):
    """`types` keeps only the kinds asked for; by default all kinds are searched."""
    # given
    post = publish(world, world.public, "Compost au jardin")
    # when
    everything = found(signed_in(world.member), "jardin")
    groups_only = found(signed_in(world.member), "jardin", types=["GROUP"])
    # then
    assert {edge["node"]["__typename"] for edge in everything["edges"]} == {
        "Post",
        "Group",
    }
    assert gid(post) in ids(everything)
    assert ids(groups_only) == [gid(world.public)]


# --- Permissions --------------------------------------------------------------------

VIEWERS = ["outsider", "member", "owner", "org_admin", "communicator"]
# Who finds a post (and its comments) of each group; the group itself.
READS_CONTENT = {
    "PUBLIC": set(VIEWERS),
    "PRIVATE": {"member", "owner"},
    "SECRET": {"member", "owner"},
}
SEES_GROUP = {
    "PUBLIC": set(VIEWERS),
    "PRIVATE": set(VIEWERS),
    "SECRET": {"member", "owner"},
}


def test_anonymous_clients_are_refused(world, anonymous):
    """Search is for signed-in users: UNAUTHENTICATED."""
    # when
    body = anonymous.execute(SEARCH, {"query": "jardin"})
    # then
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("visibility", ["PUBLIC", "PRIVATE", "SECRET"])
def test_permission_matrix(world, viewer, visibility):
    """Posts, comments and groups are found exactly by those who may read them,
    and the count never reveals the others."""
    # given
    group = {"PUBLIC": world.public, "PRIVATE": world.private}.get(
        visibility, world.secret
    )
    post = publish(world, group, "Réunion zéphyr lundi")
    comment = comment_add(
        actor=world.owner, post_id=post.pk, body="Zéphyr confirmé", parent_id=None
    )
    org_wide = publish(world, None, "Zéphyr pour tous")
    Group.objects.filter(pk=group.pk).update(description="")
    client = signed_in(getattr(world, viewer))
    # when
    content = found(client, "zephyr", types=["POST", "COMMENT"])
    groups = found(client, group.name, types=["GROUP"])
    # then
    expected = {gid(org_wide)}
    if viewer in READS_CONTENT[visibility]:
        expected |= {gid(post), gid(comment)}
    assert set(ids(content)) == expected
    assert content["totalCount"] == len(expected)
    sees = viewer in SEES_GROUP[visibility]
    assert (gid(group) in ids(groups)) is sees
    assert groups["totalCount"] == (1 if sees else 0)


@pytest.mark.parametrize(("viewer", "finds"), [("member", False), ("org_admin", True)])
def test_deactivated_people_are_found_only_by_organisation_admins(world, viewer, finds):
    """Agents do not find deactivated colleagues; organisation admins do."""
    # given
    gone = make_user("gone", display_name="Gaston Parti", is_active=False)
    # when
    result = found(signed_in(getattr(world, viewer)), "Gaston", types=["USER"])
    # then
    assert (gid(gone) in ids(result)) is finds
    assert result["totalCount"] == (1 if finds else 0)


def test_membership_and_visibility_changes_apply_at_once(world):
    """Filtering is at query time: joining, leaving and a group turning secret
    change the results immediately."""
    # given
    publish(world, world.private, "Zéphyr privé")
    client = signed_in(world.outsider)
    assert found(client, "zephyr")["totalCount"] == 0
    # when the outsider is added
    membership = Membership.objects.create(group=world.private, user=world.outsider)
    # then
    assert found(client, "zephyr")["totalCount"] == 1
    # when removed again, and the group made secret
    membership.delete()
    group_update(actor=world.owner, group_id=world.private.pk, visibility="SECRET")
    # then
    assert found(client, "zephyr")["totalCount"] == 0
    assert found(client, "comité", types=["GROUP"])["totalCount"] == 0


# --- Index kept in sync -------------------------------------------------------------


def test_index_follows_create_edit_and_delete(world):
    """Posts, comments and groups are found as soon as written, as edited, and
    never once deleted."""
    # given
    client = signed_in(world.member)
    post = publish(world, world.public, "Tulipes en vente")
    comment = comment_add(
        actor=world.member, post_id=post.pk, body="Des tulipes jaunes", parent_id=None
    )
    assert found(client, "tulipe")["totalCount"] == 2
    # when edited
    post_update(actor=world.owner, post_id=post.pk, body="Roses en vente")
    comment_update(actor=world.member, comment_id=comment.pk, body="Des roses")
    group_update(actor=world.owner, group_id=world.public.pk, name="Roseraie")
    # then
    assert found(client, "tulipe")["totalCount"] == 0
    assert found(client, "rose")["totalCount"] == 3
    # when deleted
    comment_delete(actor=world.member, comment_id=comment.pk)
    assert found(client, "rose")["totalCount"] == 2
    post_delete(actor=world.owner, post_id=post.pk)
    # then
    assert found(client, "rose")["totalCount"] == 1
    assert not SearchEntry.objects.filter(kind="POST", object_id=post.pk).exists()


def test_deleting_a_post_forgets_its_comments(world):
    """A post's comments leave the index with it."""
    # given
    post = publish(world, None, "Sujet")
    comment_add(actor=world.member, post_id=post.pk, body="Girafe", parent_id=None)
    # when
    post_delete(actor=world.communicator, post_id=post.pk)
    # then
    assert found(signed_in(world.member), "girafe")["totalCount"] == 0


def test_people_follow_their_profile(world):
    """A renamed person is found by the new name at once."""
    # given
    world.outsider.display_name = "Olivier Zébulon"
    world.outsider.save()
    # when
    result = found(signed_in(world.member), "zebulon", types=["USER"])
    # then
    assert ids(result) == [gid(world.outsider)]


def test_rebuild_command_restores_the_index(world):
    """`manage.py rebuild_search_index` rebuilds everything from the tables."""
    # given
    post = publish(world, world.public, "Kayak sur la Loire")
    SearchEntry.objects.all().delete()
    client = signed_in(world.member)
    assert found(client, "kayak")["totalCount"] == 0
    # when
    call_command("rebuild_search_index", verbosity=0)
    # then
    assert ids(found(client, "kayak")) == [gid(post)]
    assert ids(found(client, "Grimo", types=["USER"])) == []
    assert found(client, "marc", types=["USER"])["totalCount"] == 1


# --- Paging -------------------------------------------------------------------------


def test_pages_follow_one_another_without_repeats(world):
    """Offset cursors walk the ranked list: every hit once, totalCount constant."""
    # given
    for index in range(7):
        publish(world, None, f"Colis numéro {index}" + " colis" * (index % 3))
    client = signed_in(world.member)
    seen: list[str] = []
    after = None
    # when
    while True:
        page = found(client, "colis", first=3, after=after)
        assert page["totalCount"] == 7
        seen += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert len(seen) == 7
    assert len(set(seen)) == 7


def test_sql_queries_do_not_grow_with_page_size(world):
    """A page of any size costs the same number of SQL queries."""
    # given
    for index in range(60):
        publish(world, world.public, f"Vélo {index}")
        comment_add(
            actor=world.member,
            post_id=publish(world, None, "x").pk,
            body=f"vélo {index}",
            parent_id=None,
        )
    make_user("velo1", display_name="Véloce Un")
    client = signed_in(world.member)
    counts = []
    for first in (1, 20, 100):
        # when
        with CaptureQueriesContext(connection) as queries:
            result = found(client, "velo", first=first, types=["POST"])
        assert len(result["edges"]) == min(first, 60)
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as mixed:
            found(client, "velo", first=first)
        # One query per kind on the page, whatever its size.
        assert len(mixed) <= len(queries) + 3
    # then
    assert counts[0] == counts[1] == counts[2]


# --- Bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "x" * 201])
def test_blank_or_too_long_queries_are_bad_user_input(world, query):
    """A blank query or one over 200 characters is BAD_USER_INPUT."""
    # when
    body = signed_in(world.member).execute(SEARCH, {"query": query})
    # then
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


NASTY = [
    '"',
    '"jardin',
    "jardin*",
    "*",
    "jard:*",
    "a:b",
    "jardin & fleur",
    "jardin | fleur",
    "!jardin",
    "(jardin",
    "jardin)",
    "NEAR(jardin fleur)",
    "jardin AND fleur",
    "jardin OR",
    "NOT",
    "^jardin",
    "-jardin",
    "jardin NEAR/2 fleur",
    "{body}: jardin",
    "'; DROP TABLE social_post; --",
    "\\",
    "%_%",
    "🌷 jardin",
    "日本",
    "x" * 200,
]


@pytest.mark.parametrize("query", NASTY)
def test_search_syntax_is_plain_text(world, query):
    """Quotes, operators and odd characters never cause a server error."""
    # given
    publish(world, world.public, "Le jardin et ses fleurs")
    # when
    body = signed_in(world.member).execute(SEARCH, {"query": query})
    # then
    assert "errors" not in body, body
    assert body["data"]["search"]["totalCount"] >= 0


def test_bad_cursor_is_bad_user_input(world):
    """A cursor from elsewhere is BAD_USER_INPUT."""
    # when
    body = signed_in(world.member).execute(
        SEARCH, {"query": "jardin", "after": to_base64("Post", 1)}
    )
    # then
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
