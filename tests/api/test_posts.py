"""Posts: the `Post` type, `createPost`, `updatePost`, `deletePost`, `pinPost`.

Also home of the small world the posts area tests share (`world`): one group of
each visibility with a member and a group admin, an organisation-wide post, a post
in each group, each with a comment and a reply.
"""

from dataclasses import dataclass, field

import pytest
from django.test import Client
from strawberry.relay import to_base64

from social.actions.posts import POST_BODY_MAX_LENGTH
from social.markdown import render_markdown
from social.models import (
    Comment,
    Group,
    GroupKind,
    GroupRole,
    Membership,
    MembershipStatus,
    Post,
    Reaction,
    Role,
    User,
    Visibility,
)
from tests.conftest import GraphQLClient, gid, make_user, signed_in
from tests.social.test_markdown import ATTACKS, assert_safe

# --- The shared world ------------------------------------------------------------

VIEWERS = ("anonymous", "outsider", "member", "group_admin", "communicator", "admin")
PLACES = ("ORG", "PUBLIC", "PRIVATE", "SECRET")
GROUP_PLACES = ("PUBLIC", "PRIVATE", "SECRET")


def reads(viewer: str, place: str) -> bool:
    """Whether `viewer` reads the posts of `place` (the rules of API.md)."""
    if viewer == "anonymous":
        return False
    if place in ("ORG", "PUBLIC"):
        return True
    return viewer in ("member", "group_admin")


def sees_group(viewer: str, place: str) -> bool:
    """Whether the group of `place` exists for `viewer`."""
    if viewer == "anonymous":
        return False
    return place != "SECRET" or viewer in ("member", "group_admin")


@dataclass
class World:
    users: dict[str, User]
    groups: dict[str, Group]
    posts: dict[str, Post]
    comments: dict[str, Comment]
    replies: dict[str, Comment]
    clients: dict[str, GraphQLClient] = field(default_factory=dict)

    def client(self, viewer: str) -> GraphQLClient:
        if viewer not in self.clients:
            self.clients[viewer] = (
                GraphQLClient(Client())
                if viewer == "anonymous"
                else signed_in(self.users[viewer])
            )
        return self.clients[viewer]


def make_group(name: str, visibility: str, **fields) -> Group:
    return Group.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        kind=GroupKind.TOPIC,
        visibility=visibility,
        **fields,
    )


def join(user: User, group: Group, role: str = GroupRole.MEMBER, **fields) -> None:
    Membership.objects.create(user=user, group=group, role=role, **fields)


def publish(author: User, group: Group | None, body: str, **fields) -> Post:
    return Post.objects.create(
        author=author, group=group, body=body, body_html=render_markdown(body), **fields
    )


def comment_on(post: Post, author: User, body: str, parent=None) -> Comment:
    return Comment.objects.create(
        post=post,
        author=author,
        parent=parent,
        body=body,
        body_html=render_markdown(body),
    )


def build_world() -> World:
    """Six viewers; a group of each visibility where `member` is a member and
    `group_admin` an admin; a post by `member` in each group, and one by
    `communicator` organisation-wide; on each post a comment by `member` and a
    reply by `group_admin` (by `admin` organisation-wide)."""
    users = {
        "outsider": make_user("olivier", display_name="Olivier Dehors"),
        "member": make_user("martine", display_name="Martine Membre"),
        "group_admin": make_user("gaston", display_name="Gaston Anime"),
        "communicator": make_user(
            "coline", display_name="Coline Com", role=Role.COMMUNICATOR
        ),
        "admin": make_user("adele", display_name="Adèle Admin", role=Role.ADMIN),
        # A member of the pending kind: not a member yet.
        "pending": make_user("paul", display_name="Paul Attente"),
    }
    groups = {
        "PUBLIC": make_group("Un jour une fleur", Visibility.PUBLIC),
        "PRIVATE": make_group("Projet cantine", Visibility.PRIVATE),
        "SECRET": make_group("Comite de direction", Visibility.SECRET),
    }
    for group in groups.values():
        join(users["member"], group)
        join(users["group_admin"], group, GroupRole.ADMIN)
        join(users["pending"], group, status=MembershipStatus.PENDING)
    posts = {
        "ORG": publish(
            users["communicator"], None, "La **lettre interne** de mars est sortie."
        ),
        **{
            place: publish(users["member"], group, f"Message du groupe {place}")
            for place, group in groups.items()
        },
    }
    comments = {
        place: comment_on(post, users["member"], f"Commentaire {place}")
        for place, post in posts.items()
    }
    replies = {
        place: comment_on(
            post,
            users["admin" if place == "ORG" else "group_admin"],
            f"Réponse {place}",
            parent=comments[place],
        )
        for place, post in posts.items()
    }
    return World(users, groups, posts, comments, replies)


@pytest.fixture
def world(db) -> World:
    """The shared world of the posts area tests (`build_world`)."""
    return build_world()


def codes_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def is_unauthenticated(body: dict) -> bool:
    return body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


STATE = """
fragment CommentState on Comment {
  id body bodyHtml editedAt reactionCount reactions { kind count } replyCount
}
fragment PostState on Post {
  id body bodyHtml editedAt isPinned isAnnouncement commentCount reactionCount
  reactions { kind count }
  group { id }
  latestComments(count: 10) { ...CommentState }
}
query State($public: ID!, $private: ID!, $secret: ID!, $comments: [ID!]!) {
  feed(first: 100) { totalCount edges { cursor node { ...PostState } } }
  public: feed(first: 100, groupId: $public) { edges { node { ...PostState } } }
  private: feed(first: 100, groupId: $private) { edges { node { ...PostState } } }
  secret: feed(first: 100, groupId: $secret) { edges { node { ...PostState } } }
  nodes(ids: $comments) { ...CommentState }
}
"""


def state(world: World) -> dict:
    """Everything the posts area shows to a member of every group."""
    return world.client("member").data(
        STATE,
        {
            "public": gid(world.groups["PUBLIC"]),
            "private": gid(world.groups["PRIVATE"]),
            "secret": gid(world.groups["SECRET"]),
            "comments": [gid(c) for c in world.replies.values()],
        },
    )


# --- Reading posts ---------------------------------------------------------------

POST_FIELDS = """
fragment PostFields on Post {
  id body bodyHtml createdAt editedAt isAnnouncement isPinned
  author { id username }
  group { id name }
  commentCount reactionCount reactions { kind count } viewerReaction
  viewerCanEdit viewerCanDelete viewerCanPin
  comments(first: 10) { totalCount edges { node { id body } } }
  latestComments { id }
}
"""
NODE = POST_FIELDS + "query Node($id: ID!) { node(id: $id) { ...PostFields } }"
NODES = POST_FIELDS + "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ...PostFields } }"


class TestReadPermissions:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_a_post_is_read_exactly_by_who_may(self, world, viewer, place):
        """node(id) and nodes(ids) give a post to those who may read it, null
        to everyone else, as if it did not exist."""
        # given
        post = world.posts[place]
        client = world.client(viewer)
        # when
        node = client.data(NODE, {"id": gid(post)})["node"]
        nodes = client.data(NODES, {"ids": [gid(post)]})["nodes"]
        # then
        if reads(viewer, place):
            assert node["id"] == gid(post)
            assert node["body"] == post.body
            assert nodes == [node]
        else:
            assert node is None
            assert nodes == [None]

    @pytest.mark.parametrize(
        ("viewer", "place", "can_edit", "can_delete", "can_pin"),
        [
            ("outsider", "ORG", False, False, False),
            ("outsider", "PUBLIC", False, False, False),
            ("member", "ORG", False, False, False),
            ("member", "PUBLIC", True, True, False),
            ("member", "PRIVATE", True, True, False),
            ("member", "SECRET", True, True, False),
            ("group_admin", "ORG", False, False, False),
            ("group_admin", "PUBLIC", False, True, True),
            ("group_admin", "PRIVATE", False, True, True),
            ("group_admin", "SECRET", False, True, True),
            ("communicator", "ORG", True, True, True),
            ("communicator", "PUBLIC", False, False, False),
            ("admin", "ORG", False, True, True),
            ("admin", "PUBLIC", False, True, False),
        ],
    )
    def test_viewer_abilities_follow_the_rules(
        self, world, viewer, place, can_edit, can_delete, can_pin
    ):
        """viewerCanEdit (the author), viewerCanDelete (author, group admins,
        organisation admins) and viewerCanPin (group admins; communicators and
        admins organisation-wide) say what the mutations will allow."""
        node = world.client(viewer).data(NODE, {"id": gid(world.posts[place])})["node"]
        assert (
            node["viewerCanEdit"],
            node["viewerCanDelete"],
            node["viewerCanPin"],
        ) == (can_edit, can_delete, can_pin)


class TestPostFields:
    def test_a_post_shows_its_author_group_body_and_comments(self, world):
        """Every field of a post, as its group's member reads it."""
        # given
        post = world.posts["PRIVATE"]
        # when
        node = world.client("member").data(NODE, {"id": gid(post)})["node"]
        # then
        assert node["author"] == {
            "id": gid(world.users["member"]),
            "username": "martine",
        }
        assert node["group"] == {
            "id": gid(world.groups["PRIVATE"]),
            "name": "Projet cantine",
        }
        assert node["bodyHtml"] == "<p>Message du groupe PRIVATE</p>\n"
        assert node["editedAt"] is None
        assert (node["isAnnouncement"], node["isPinned"]) == (False, False)
        assert node["commentCount"] == 2
        assert node["comments"]["totalCount"] == 1
        assert [e["node"]["body"] for e in node["comments"]["edges"]] == [
            "Commentaire PRIVATE"
        ]
        assert node["latestComments"] == [{"id": gid(world.comments["PRIVATE"])}]
        assert (node["reactionCount"], node["reactions"], node["viewerReaction"]) == (
            0,
            [],
            None,
        )

    def test_an_organisation_wide_post_has_no_group(self, world):
        """group: null means the whole organisation."""
        node = world.client("outsider").data(NODE, {"id": gid(world.posts["ORG"])})
        assert node["node"]["group"] is None
        assert node["node"]["bodyHtml"] == (
            "<p>La <strong>lettre interne</strong> de mars est sortie.</p>\n"
        )

    def test_reactions_are_counted_by_kind_in_a_fixed_order(self, world):
        """Only kinds with reactions, in the order of ReactionKind; the viewer's
        own reaction apart."""
        # given
        post = world.posts["PUBLIC"]
        for name, kind in [
            ("outsider", "FUNNY"),
            ("member", "LIKE"),
            ("group_admin", "FUNNY"),
            ("admin", "BRAVO"),
        ]:
            Reaction.objects.create(user=world.users[name], post=post, kind=kind)
        # when
        node = world.client("group_admin").data(NODE, {"id": gid(post)})["node"]
        # then
        assert node["reactionCount"] == 4
        assert node["reactions"] == [
            {"kind": "LIKE", "count": 1},
            {"kind": "BRAVO", "count": 1},
            {"kind": "FUNNY", "count": 2},
        ]
        assert node["viewerReaction"] == "FUNNY"

    def test_a_deactivated_author_is_null_for_agents_not_for_admins(self, world):
        """The author follows the directory's rules: agents do not see
        deactivated accounts, administrators do."""
        # given
        User.objects.filter(pk=world.users["communicator"].pk).update(is_active=False)
        post_id = gid(world.posts["ORG"])
        # when
        for_agent = world.client("outsider").data(NODE, {"id": post_id})["node"]
        for_admin = world.client("admin").data(NODE, {"id": post_id})["node"]
        # then
        assert for_agent["author"] is None
        assert for_admin["author"]["username"] == "coline"

    def test_a_comment_id_is_not_a_post(self, world):
        """A post ID names a post: another type's ID as a post is absent."""
        body = world.client("member").execute(
            NODE, {"id": to_base64("Post", world.comments["PUBLIC"].pk + 10_000)}
        )
        assert body["data"]["node"] is None


# --- createPost ------------------------------------------------------------------

CREATE = """
mutation Create($input: CreatePostInput!) {
  createPost(input: $input) {
    post {
      id body bodyHtml isAnnouncement isPinned editedAt commentCount
      author { username } group { id }
      viewerCanEdit viewerCanDelete
    }
    errors { field code message }
  }
}
"""


def create(client: GraphQLClient, **input) -> dict:
    return client.data(CREATE, {"input": input})["createPost"]


def group_id_of(world: World, place: str) -> str | None:
    return None if place == "ORG" else gid(world.groups[place])


def create_post_outcome(viewer: str, place: str) -> str | None:
    """The error code of createPost in `place` by `viewer`, or None (posted)."""
    if place == "ORG":
        return None if viewer in ("communicator", "admin") else "FORBIDDEN"
    if viewer in ("member", "group_admin"):
        return None
    return "FORBIDDEN" if sees_group(viewer, place) else "NOT_FOUND"


class TestCreatePost:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_who_may_post_where(self, world, viewer, place):
        """Active members post in their group (others: FORBIDDEN, or NOT_FOUND
        for a secret group); communicators and admins post organisation-wide;
        anonymous clients are UNAUTHENTICATED. A refusal changes nothing."""
        # given
        before = state(world)
        client = world.client(viewer)
        variables = {"input": {"groupId": group_id_of(world, place), "body": "Bonjour"}}
        # when
        body = client.execute(CREATE, variables)
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["createPost"]
        expected = create_post_outcome(viewer, place)
        if expected is None:
            assert payload["errors"] == []
            assert payload["post"]["body"] == "Bonjour"
            assert payload["post"]["author"]["username"] == world.users[viewer].username
            group = payload["post"]["group"]
            assert (group and group["id"]) == group_id_of(world, place)
        else:
            assert codes_of(payload) == [("groupId", expected)]
            assert payload["post"] is None
            assert state(world) == before

    def test_a_pending_member_may_not_post(self, world):
        """A request to join is not a membership."""
        payload = create(
            signed_in(world.users["pending"]),
            groupId=gid(world.groups["PUBLIC"]),
            body="Bonjour",
        )
        assert codes_of(payload) == [("groupId", "FORBIDDEN")]

    def test_the_new_post_is_rendered_and_belongs_to_its_author(self, world):
        """bodyHtml is rendered at write time; the author may edit and delete."""
        payload = create(
            world.client("member"),
            groupId=gid(world.groups["PUBLIC"]),
            body="  Voir *le* [site](https://example.org)  ",
        )
        post = payload["post"]
        assert post["body"] == "Voir *le* [site](https://example.org)"
        assert post["bodyHtml"] == (
            '<p>Voir <em>le</em> <a href="https://example.org" '
            'rel="noopener noreferrer nofollow">site</a></p>\n'
        )
        assert (post["isAnnouncement"], post["isPinned"], post["editedAt"]) == (
            False,
            False,
            None,
        )
        assert (post["viewerCanEdit"], post["viewerCanDelete"]) == (True, True)
        assert post["commentCount"] == 0
        assert (
            Post.objects.get(pk=Post.objects.latest("pk").pk).body_html
            == (post["bodyHtml"])
        )

    def test_the_body_is_sanitised(self, world):
        """Scripts, event handlers and javascript: links never reach bodyHtml;
        links get rel="noopener noreferrer nofollow"; the body is kept as
        written."""
        body = "\n\n".join([*ATTACKS, "[ok](https://mairie.example)"])
        payload = create(
            world.client("member"), groupId=gid(world.groups["PUBLIC"]), body=body
        )
        assert payload["errors"] == []
        assert payload["post"]["body"] == body
        assert_safe(payload["post"]["bodyHtml"])
        assert (
            '<a href="https://mairie.example" rel="noopener noreferrer nofollow">ok</a>'
            in payload["post"]["bodyHtml"]
        )

    @pytest.mark.parametrize(
        ("viewer", "place", "expected"),
        [
            ("communicator", "ORG", []),
            ("admin", "ORG", []),
            ("communicator", "PUBLIC", [("groupId", "FORBIDDEN")]),
            ("member", "PUBLIC", [("isAnnouncement", "FORBIDDEN")]),
            ("group_admin", "PRIVATE", [("isAnnouncement", "FORBIDDEN")]),
        ],
    )
    def test_announcements_are_for_communicators_and_admins(
        self, world, viewer, place, expected
    ):
        """isAnnouncement needs the communicator or admin role, in a group too
        (where the communicator must still be a member)."""
        before = state(world)
        payload = create(
            world.client(viewer),
            groupId=group_id_of(world, place),
            body="Annonce",
            isAnnouncement=True,
        )
        assert codes_of(payload) == expected
        if expected:
            assert state(world) == before
        else:
            assert payload["post"]["isAnnouncement"] is True

    def test_a_communicator_member_announces_in_their_group(self, world):
        """A communicator who is a member of a group announces there."""
        join(world.users["communicator"], world.groups["PRIVATE"])
        payload = create(
            world.client("communicator"),
            groupId=gid(world.groups["PRIVATE"]),
            body="Annonce du groupe",
            isAnnouncement=True,
        )
        assert payload["errors"] == []
        assert payload["post"]["isAnnouncement"] is True

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ("", [("body", "REQUIRED")]),
            ("   \n\t ", [("body", "REQUIRED")]),
            ("x" * (POST_BODY_MAX_LENGTH + 1), [("body", "TOO_LONG")]),
        ],
    )
    def test_blank_and_too_long_bodies_are_refused(self, world, body, expected):
        """Blank: REQUIRED; more than 20,000 characters: TOO_LONG; nothing saved."""
        before = state(world)
        payload = create(
            world.client("member"), groupId=gid(world.groups["PUBLIC"]), body=body
        )
        assert codes_of(payload) == expected
        assert payload["post"] is None
        assert state(world) == before

    def test_a_body_of_exactly_the_limit_is_accepted(self, world):
        """20,000 characters are allowed."""
        payload = create(
            world.client("member"),
            groupId=gid(world.groups["PUBLIC"]),
            body="x" * POST_BODY_MAX_LENGTH,
        )
        assert payload["errors"] == []

    def test_every_refusal_is_reported_at_once(self, world):
        """An outsider's blank announcement in a group: three errors together."""
        payload = create(
            world.client("outsider"),
            groupId=gid(world.groups["PUBLIC"]),
            body=" ",
            isAnnouncement=True,
        )
        assert sorted(codes_of(payload)) == [
            ("body", "REQUIRED"),
            ("groupId", "FORBIDDEN"),
            ("isAnnouncement", "FORBIDDEN"),
        ]

    @pytest.mark.parametrize("bad_id", ["user", "missing"])
    def test_an_unknown_group_is_not_found(self, world, bad_id):
        """A user's ID or a missing group's ID as groupId: NOT_FOUND."""
        group_id = (
            gid(world.users["member"])
            if bad_id == "user"
            else to_base64("Group", 999_999)
        )
        payload = create(world.client("member"), groupId=group_id, body="Bonjour")
        assert codes_of(payload) == [("groupId", "NOT_FOUND")]


# --- updatePost ------------------------------------------------------------------

UPDATE = """
mutation Update($input: UpdatePostInput!) {
  updatePost(input: $input) {
    post { id body bodyHtml editedAt }
    errors { field code message }
  }
}
"""


def author_only_outcome(viewer: str, place: str, author: str) -> str | None:
    """The error code of editing `author`'s content in `place` by `viewer`."""
    if not reads(viewer, place):
        return "NOT_FOUND"
    return None if viewer == author else "FORBIDDEN"


def post_author(place: str) -> str:
    return "communicator" if place == "ORG" else "member"


class TestUpdatePost:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_the_author_edits(self, world, viewer, place):
        """The author edits; who reads the post gets FORBIDDEN, who does not
        NOT_FOUND; a refusal changes nothing."""
        # given
        before = state(world)
        post = world.posts[place]
        variables = {"input": {"postId": gid(post), "body": "Corrigé : *merci*"}}
        # when
        body = world.client(viewer).execute(UPDATE, variables)
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["updatePost"]
        expected = author_only_outcome(viewer, place, post_author(place))
        if expected is None:
            assert payload["errors"] == []
            assert payload["post"]["body"] == "Corrigé : *merci*"
            assert payload["post"]["bodyHtml"] == "<p>Corrigé : <em>merci</em></p>\n"
            assert payload["post"]["editedAt"] is not None
        else:
            assert codes_of(payload) == [("postId", expected)]
            assert payload["post"] is None
            assert state(world) == before

    @pytest.mark.parametrize(
        ("body", "code"), [(" ", "REQUIRED"), ("y" * 20_001, "TOO_LONG")]
    )
    def test_a_bad_body_changes_nothing(self, world, body, code):
        """The same limits as createPost; the post stays as it was."""
        before = state(world)
        payload = world.client("member").data(
            UPDATE, {"input": {"postId": gid(world.posts["PUBLIC"]), "body": body}}
        )["updatePost"]
        assert codes_of(payload) == [("body", code)]
        assert state(world) == before

    def test_a_comment_id_is_not_found(self, world):
        """An ID of another type as postId: NOT_FOUND."""
        payload = world.client("member").data(
            UPDATE, {"input": {"postId": gid(world.comments["PUBLIC"]), "body": "x"}}
        )["updatePost"]
        assert codes_of(payload) == [("postId", "NOT_FOUND")]


# --- deletePost ------------------------------------------------------------------

DELETE = """
mutation Delete($input: DeletePostInput!) {
  deletePost(input: $input) { postId errors { field code message } }
}
"""


def delete_outcome(viewer: str, place: str, author: str) -> str | None:
    """The error code of deleting `author`'s content in `place` by `viewer`."""
    if not reads(viewer, place):
        return "NOT_FOUND"
    if viewer == author or viewer == "admin":
        return None
    if viewer == "group_admin" and place != "ORG":
        return None
    return "FORBIDDEN"


class TestDeletePost:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_who_may_delete(self, world, viewer, place):
        """The author, an admin of its group or an organisation admin (who reads
        it) deletes a post with its comments; others change nothing."""
        # given
        before = state(world)
        post = world.posts[place]
        # when
        body = world.client(viewer).execute(DELETE, {"input": {"postId": gid(post)}})
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["deletePost"]
        expected = delete_outcome(viewer, place, post_author(place))
        if expected is None:
            assert payload == {"postId": gid(post), "errors": []}
            assert not Post.objects.filter(pk=post.pk).exists()
            assert not Comment.objects.filter(post_id=post.pk).exists()
            node = world.client("member").data(NODE, {"id": gid(post)})["node"]
            assert node is None
        else:
            assert codes_of(payload) == [("postId", expected)]
            assert payload["postId"] is None
            assert state(world) == before

    def test_a_deleted_post_is_not_found_again(self, world):
        """Deleting twice: the second time there is nothing to delete."""
        client = world.client("member")
        variables = {"input": {"postId": gid(world.posts["PUBLIC"])}}
        assert client.data(DELETE, variables)["deletePost"]["errors"] == []
        payload = client.data(DELETE, variables)["deletePost"]
        assert codes_of(payload) == [("postId", "NOT_FOUND")]


# --- pinPost ---------------------------------------------------------------------

PIN = """
mutation Pin($input: PinPostInput!) {
  pinPost(input: $input) { post { id isPinned } errors { field code message } }
}
"""


def pin_outcome(viewer: str, place: str) -> str | None:
    if not reads(viewer, place):
        return "NOT_FOUND"
    if place == "ORG":
        return None if viewer in ("communicator", "admin") else "FORBIDDEN"
    return None if viewer == "group_admin" else "FORBIDDEN"


class TestPinPost:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_who_may_pin(self, world, viewer, place):
        """Group admins pin in their group; communicators and admins pin
        organisation-wide; others change nothing."""
        # given
        before = state(world)
        post = world.posts[place]
        # when
        body = world.client(viewer).execute(
            PIN, {"input": {"postId": gid(post), "pinned": True}}
        )
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["pinPost"]
        expected = pin_outcome(viewer, place)
        if expected is None:
            assert payload == {
                "post": {"id": gid(post), "isPinned": True},
                "errors": [],
            }
        else:
            assert codes_of(payload) == [("postId", expected)]
            assert state(world) == before

    def test_unpinning(self, world):
        """pinned: false unpins; pinning twice is harmless."""
        client = world.client("group_admin")
        post_id = gid(world.posts["PRIVATE"])
        for pinned in (True, True, False):
            payload = client.data(PIN, {"input": {"postId": post_id, "pinned": pinned}})
            assert payload["pinPost"]["post"]["isPinned"] is pinned
        assert Post.objects.get(pk=world.posts["PRIVATE"].pk).is_pinned is False
