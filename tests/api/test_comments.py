"""Comments: the `Comment` type, `addComment`, `updateComment`, `deleteComment`."""

import pytest
from strawberry.relay import to_base64

from social.actions.comments import COMMENT_BODY_MAX_LENGTH
from social.models import Comment
from tests.api.test_posts import (
    PLACES,
    VIEWERS,
    World,
    author_only_outcome,
    build_world,
    codes_of,
    delete_outcome,
    is_unauthenticated,
    reads,
    state,
)
from tests.conftest import gid


@pytest.fixture
def world(db) -> World:
    """Groups of each visibility, their posts and comments (tests.api.test_posts)."""
    return build_world()


COMMENT_FIELDS = """
fragment CommentFields on Comment {
  id body bodyHtml createdAt editedAt
  post { id }
  author { username }
  parent { id }
  replies(first: 10) { totalCount edges { node { id body parent { id } } } }
  replyCount reactionCount reactions { kind count } viewerReaction
  viewerCanEdit viewerCanDelete
}
"""
NODE = COMMENT_FIELDS + "query Node($id: ID!) { node(id: $id) { ...CommentFields } }"
NODES = (
    COMMENT_FIELDS
    + "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ...CommentFields } }"
)
POST_COMMENTS = """
query PostComments($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Post {
      commentCount
      comments(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id body replyCount replies { edges { node { body } } } } }
      }
    }
  }
}
"""
ADD = """
mutation Add($input: AddCommentInput!) {
  addComment(input: $input) {
    comment {
      id body bodyHtml author { username } parent { id } post { id commentCount }
      viewerCanEdit viewerCanDelete
    }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateCommentInput!) {
  updateComment(input: $input) {
    comment { id body bodyHtml editedAt }
    errors { field code message }
  }
}
"""
DELETE = """
mutation Delete($input: DeleteCommentInput!) {
  deleteComment(input: $input) {
    commentId
    post { id commentCount }
    errors { field code message }
  }
}
"""


class TestReadPermissions:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_comments_and_replies_are_read_with_their_post(self, world, viewer, place):
        """A comment and a reply are readable exactly by the readers of their
        post; null for everyone else through node and nodes."""
        # given
        client = world.client(viewer)
        comment, reply = world.comments[place], world.replies[place]
        # when
        nodes = client.data(NODES, {"ids": [gid(comment), gid(reply)]})["nodes"]
        node = client.data(NODE, {"id": gid(reply)})["node"]
        # then
        if reads(viewer, place):
            assert [n["body"] for n in nodes] == [comment.body, reply.body]
            assert node == nodes[1]
        else:
            assert nodes == [None, None]
            assert node is None

    @pytest.mark.parametrize(
        ("viewer", "place", "comment_rights", "reply_rights"),
        [
            ("member", "PUBLIC", (True, True), (False, False)),
            ("group_admin", "PUBLIC", (False, True), (True, True)),
            ("outsider", "PUBLIC", (False, False), (False, False)),
            ("communicator", "ORG", (False, False), (False, False)),
            ("admin", "ORG", (False, True), (True, True)),
            ("admin", "PUBLIC", (False, True), (False, True)),
            ("member", "ORG", (True, True), (False, False)),
        ],
    )
    def test_viewer_abilities_follow_the_rules(
        self, world, viewer, place, comment_rights, reply_rights
    ):
        """(viewerCanEdit, viewerCanDelete): the author edits; the author, the
        group's admins and organisation admins delete."""
        client = world.client(viewer)
        ids = [gid(world.comments[place]), gid(world.replies[place])]
        nodes = client.data(NODES, {"ids": ids})["nodes"]
        rights = [(n["viewerCanEdit"], n["viewerCanDelete"]) for n in nodes]
        assert rights == [comment_rights, reply_rights]


class TestFields:
    def test_a_comment_links_its_post_author_parent_and_replies(self, world):
        """Every field of a top-level comment and of its reply."""
        # given
        comment, reply = world.comments["PRIVATE"], world.replies["PRIVATE"]
        client = world.client("member")
        # when
        top = client.data(NODE, {"id": gid(comment)})["node"]
        under = client.data(NODE, {"id": gid(reply)})["node"]
        # then
        assert top["post"] == {"id": gid(world.posts["PRIVATE"])}
        assert top["author"] == {"username": "martine"}
        assert top["parent"] is None
        assert top["bodyHtml"] == "<p>Commentaire PRIVATE</p>\n"
        assert top["replyCount"] == 1
        assert top["replies"]["totalCount"] == 1
        assert top["replies"]["edges"][0]["node"] == {
            "id": gid(reply),
            "body": "Réponse PRIVATE",
            "parent": {"id": gid(comment)},
        }
        assert under["parent"] == {"id": gid(comment)}
        assert (under["replyCount"], under["replies"]["edges"]) == (0, [])
        assert (top["reactionCount"], top["reactions"], top["viewerReaction"]) == (
            0,
            [],
            None,
        )

    def test_post_comments_are_top_level_oldest_first_and_paged(self, world):
        """post.comments lists top-level comments, oldest first, with stable
        cursors; commentCount counts the replies too."""
        # given
        post = world.posts["PUBLIC"]
        client = world.client("outsider")
        for n in range(4):
            client.data(ADD, {"input": {"postId": gid(post), "body": f"Suite {n}"}})
        # when
        first = client.data(POST_COMMENTS, {"id": gid(post), "first": 3})["node"]
        after = first["comments"]["pageInfo"]["endCursor"]
        second = client.data(
            POST_COMMENTS, {"id": gid(post), "first": 3, "after": after}
        )["node"]
        # then
        assert first["commentCount"] == 6
        assert first["comments"]["totalCount"] == 5
        seen = [
            edge["node"]["body"]
            for page in (first, second)
            for edge in page["comments"]["edges"]
        ]
        assert seen == [
            "Commentaire PUBLIC",
            "Suite 0",
            "Suite 1",
            "Suite 2",
            "Suite 3",
        ]
        assert first["comments"]["edges"][0]["node"]["replies"]["edges"] == [
            {"node": {"body": "Réponse PUBLIC"}}
        ]
        assert second["comments"]["pageInfo"]["hasNextPage"] is False


def add_outcome(viewer: str, place: str) -> str | None:
    return None if reads(viewer, place) else "NOT_FOUND"


class TestAddComment:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_whoever_reads_a_post_comments_on_it(self, world, viewer, place):
        """Every reader comments, without joining a public group; a post the
        viewer may not read is NOT_FOUND and nothing changes."""
        # given
        before = state(world)
        post = world.posts[place]
        variables = {"input": {"postId": gid(post), "body": "Bravo **à tous**"}}
        # when
        body = world.client(viewer).execute(ADD, variables)
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["addComment"]
        if add_outcome(viewer, place) is None:
            assert payload["errors"] == []
            comment = payload["comment"]
            assert comment["bodyHtml"] == "<p>Bravo <strong>à tous</strong></p>\n"
            assert comment["author"]["username"] == world.users[viewer].username
            assert comment["post"] == {"id": gid(post), "commentCount": 3}
            assert comment["parent"] is None
            assert (comment["viewerCanEdit"], comment["viewerCanDelete"]) == (
                True,
                True,
            )
        else:
            assert codes_of(payload) == [("postId", "NOT_FOUND")]
            assert payload["comment"] is None
            assert state(world) == before

    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_whoever_reads_a_post_replies_to_its_comments(self, world, viewer, place):
        """Replying follows the same rule as commenting."""
        before = state(world)
        variables = {
            "input": {
                "postId": gid(world.posts[place]),
                "parentId": gid(world.comments[place]),
                "body": "D'accord",
            }
        }
        body = world.client(viewer).execute(ADD, variables)
        if viewer == "anonymous":
            assert is_unauthenticated(body)
        elif add_outcome(viewer, place) is None:
            payload = body["data"]["addComment"]
            assert payload["errors"] == []
            assert payload["comment"]["parent"] == {"id": gid(world.comments[place])}
            return
        else:
            assert codes_of(body["data"]["addComment"]) == [("postId", "NOT_FOUND")]
        assert state(world) == before

    def test_a_reply_to_a_reply_joins_the_thread(self, world):
        """Replies are one level deep: replying to a reply answers the
        top-level comment of its thread."""
        # given
        top, reply = world.comments["PUBLIC"], world.replies["PUBLIC"]
        # when
        payload = world.client("outsider").data(
            ADD,
            {
                "input": {
                    "postId": gid(world.posts["PUBLIC"]),
                    "parentId": gid(reply),
                    "body": "Moi aussi",
                }
            },
        )["addComment"]
        # then
        assert payload["errors"] == []
        assert payload["comment"]["parent"] == {"id": gid(top)}
        node = world.client("outsider").data(NODE, {"id": gid(top)})["node"]
        assert node["replyCount"] == 2

    @pytest.mark.parametrize("parent", ["other_post", "secret", "missing", "a_post"])
    def test_a_parent_must_be_a_comment_of_the_same_post(self, world, parent):
        """parentId of another post's comment (even a readable one), of a
        comment the viewer may not read, of nothing, or of a post: NOT_FOUND."""
        # given
        parent_id = {
            "other_post": gid(world.comments["ORG"]),
            "secret": gid(world.comments["SECRET"]),
            "missing": to_base64("Comment", 999_999),
            "a_post": gid(world.posts["PUBLIC"]),
        }[parent]
        before = state(world)
        # when
        payload = world.client("outsider").data(
            ADD,
            {
                "input": {
                    "postId": gid(world.posts["PUBLIC"]),
                    "parentId": parent_id,
                    "body": "Hors sujet",
                }
            },
        )["addComment"]
        # then
        assert codes_of(payload) == [("parentId", "NOT_FOUND")]
        assert state(world) == before

    @pytest.mark.parametrize(
        ("body", "code"),
        [("", "REQUIRED"), (" \n ", "REQUIRED"), ("z" * 5_001, "TOO_LONG")],
    )
    def test_blank_and_too_long_comments_are_refused(self, world, body, code):
        """Blank: REQUIRED; more than 5,000 characters: TOO_LONG."""
        before = state(world)
        payload = world.client("member").data(
            ADD, {"input": {"postId": gid(world.posts["PUBLIC"]), "body": body}}
        )["addComment"]
        assert codes_of(payload) == [("body", code)]
        assert state(world) == before

    def test_a_comment_of_exactly_the_limit_is_accepted(self, world):
        """5,000 characters are allowed."""
        payload = world.client("member").data(
            ADD,
            {
                "input": {
                    "postId": gid(world.posts["PUBLIC"]),
                    "body": "z" * COMMENT_BODY_MAX_LENGTH,
                }
            },
        )["addComment"]
        assert payload["errors"] == []


class TestUpdateComment:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_the_author_edits(self, world, viewer, place):
        """The author (`member`) edits and re-renders; readers get FORBIDDEN,
        others NOT_FOUND; a refusal changes nothing."""
        # given
        before = state(world)
        comment = world.comments[place]
        variables = {"input": {"commentId": gid(comment), "body": "_Corrigé_"}}
        # when
        body = world.client(viewer).execute(UPDATE, variables)
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["updateComment"]
        expected = author_only_outcome(viewer, place, "member")
        if expected is None:
            assert payload["errors"] == []
            assert payload["comment"]["body"] == "_Corrigé_"
            assert payload["comment"]["bodyHtml"] == "<p><em>Corrigé</em></p>\n"
            assert payload["comment"]["editedAt"] is not None
        else:
            assert codes_of(payload) == [("commentId", expected)]
            assert state(world) == before

    def test_a_bad_body_changes_nothing(self, world):
        """A blank body is REQUIRED and the comment stays as it was."""
        before = state(world)
        payload = world.client("member").data(
            UPDATE, {"input": {"commentId": gid(world.comments["ORG"]), "body": ""}}
        )["updateComment"]
        assert codes_of(payload) == [("body", "REQUIRED")]
        assert state(world) == before


class TestDeleteComment:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_who_may_delete(self, world, viewer, place):
        """The author, an admin of the post's group or an organisation admin
        (who reads it) deletes a comment with its replies; others change
        nothing."""
        # given
        before = state(world)
        comment = world.comments[place]
        # when
        body = world.client(viewer).execute(
            DELETE, {"input": {"commentId": gid(comment)}}
        )
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["deleteComment"]
        expected = delete_outcome(viewer, place, "member")
        if expected is None:
            assert payload == {
                "commentId": gid(comment),
                "post": {"id": gid(world.posts[place]), "commentCount": 0},
                "errors": [],
            }
            assert not Comment.objects.filter(post=world.posts[place]).exists()
        else:
            assert codes_of(payload) == [("commentId", expected)]
            assert (payload["commentId"], payload["post"]) == (None, None)
            assert state(world) == before

    def test_deleting_a_reply_keeps_its_thread(self, world):
        """The author of a reply deletes it alone."""
        payload = world.client("group_admin").data(
            DELETE, {"input": {"commentId": gid(world.replies["PUBLIC"])}}
        )["deleteComment"]
        assert payload["errors"] == []
        assert payload["post"]["commentCount"] == 1
        assert Comment.objects.filter(pk=world.comments["PUBLIC"].pk).exists()

    def test_a_post_id_is_not_a_comment(self, world):
        """An ID of another type as commentId: NOT_FOUND."""
        payload = world.client("member").data(
            DELETE, {"input": {"commentId": gid(world.posts["PUBLIC"])}}
        )["deleteComment"]
        assert codes_of(payload) == [("commentId", "NOT_FOUND")]
