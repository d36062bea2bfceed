"""Reactions: `react` and `unreact` on posts and comments."""

import threading

import pytest
from django.db import connection
from strawberry.relay import to_base64

from social.models import Reaction
from tests.api.test_posts import (
    PLACES,
    VIEWERS,
    World,
    build_world,
    codes_of,
    is_unauthenticated,
    join,
    make_group,
    publish,
    reads,
    state,
)
from tests.conftest import gid, make_user, signed_in


@pytest.fixture
def world(db) -> World:
    """Groups of each visibility, their posts and comments (tests.api.test_posts)."""
    return build_world()


SUBJECT = """
subject {
  __typename
  ... on Post { id reactionCount reactions { kind count } viewerReaction }
  ... on Comment { id reactionCount reactions { kind count } viewerReaction }
}
"""
REACT = (
    "mutation React($input: ReactInput!) { react(input: $input) {"
    + SUBJECT
    + "errors { field code message } } }"
)
UNREACT = (
    "mutation Unreact($input: UnreactInput!) { unreact(input: $input) {"
    + SUBJECT
    + "errors { field code message } } }"
)
SUBJECTS = ("post", "comment")


def subject_of(world, subject: str, place: str):
    return world.posts[place] if subject == "post" else world.comments[place]


def react(client, subject_id: str, kind: str) -> dict:
    return client.data(REACT, {"input": {"subjectId": subject_id, "kind": kind}})[
        "react"
    ]


def unreact(client, subject_id: str, kind: str | None = None) -> dict:
    variables = {"input": {"subjectId": subject_id, "kind": kind}}
    return client.data(UNREACT, variables)["unreact"]


class TestReact:
    @pytest.mark.parametrize("subject", SUBJECTS)
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_whoever_reads_reacts(self, world, viewer, place, subject):
        """Every reader of a post reacts to it and to its comments (no need to
        join a public group); what the viewer may not read is NOT_FOUND and
        nothing changes."""
        # given
        before = state(world)
        target = subject_of(world, subject, place)
        variables = {"input": {"subjectId": gid(target), "kind": "BRAVO"}}
        # when
        body = world.client(viewer).execute(REACT, variables)
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["react"]
        if reads(viewer, place):
            assert payload == {
                "subject": {
                    "__typename": subject.capitalize(),
                    "id": gid(target),
                    "reactionCount": 1,
                    "reactions": [{"kind": "BRAVO", "count": 1}],
                    "viewerReaction": "BRAVO",
                },
                "errors": [],
            }
        else:
            assert codes_of(payload) == [("subjectId", "NOT_FOUND")]
            assert payload["subject"] is None
            assert state(world) == before

    @pytest.mark.parametrize("subject", SUBJECTS)
    def test_reacting_again_replaces_the_reaction(self, world, subject):
        """One reaction per user per subject: the last kind wins."""
        # given
        target = gid(subject_of(world, subject, "PUBLIC"))
        client = world.client("outsider")
        react(client, target, "LIKE")
        react(world.client("member"), target, "LIKE")
        # when
        payload = react(client, target, "LOVE")
        again = react(client, target, "LOVE")
        # then
        assert payload["subject"]["reactions"] == [
            {"kind": "LIKE", "count": 1},
            {"kind": "LOVE", "count": 1},
        ]
        assert payload["subject"]["reactionCount"] == 2
        assert again == payload
        assert Reaction.objects.filter(user=world.users["outsider"]).count() == 1

    @pytest.mark.parametrize(
        "bad_id", ["user", "group", "missing_post", "missing_comment"]
    )
    def test_only_posts_and_comments_take_reactions(self, world, bad_id):
        """A user's or a group's ID, or a missing subject: NOT_FOUND."""
        subject_id = {
            "user": gid(world.users["member"]),
            "group": gid(world.groups["PUBLIC"]),
            "missing_post": to_base64("Post", 999_999),
            "missing_comment": to_base64("Comment", 999_999),
        }[bad_id]
        before = state(world)
        payload = react(world.client("member"), subject_id, "LIKE")
        assert codes_of(payload) == [("subjectId", "NOT_FOUND")]
        assert state(world) == before

    def test_an_unknown_kind_is_bad_input(self, world):
        """The kinds are an enum: anything else is refused before any change."""
        body = world.client("member").execute(
            REACT,
            {"input": {"subjectId": gid(world.posts["ORG"]), "kind": "ANGRY"}},
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert not Reaction.objects.exists()


class TestUnreact:
    @pytest.mark.parametrize("subject", SUBJECTS)
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_whoever_reads_unreacts(self, world, viewer, place, subject):
        """A reader removes their reaction; a subject the viewer may not read is
        NOT_FOUND, and other people's reactions never move."""
        # given
        target = subject_of(world, subject, place)
        field = {"post" if subject == "post" else "comment": target}
        Reaction.objects.create(user=world.users["group_admin"], kind="LIKE", **field)
        if viewer not in ("anonymous", "group_admin"):
            Reaction.objects.create(user=world.users[viewer], kind="LOVE", **field)
        before = state(world)
        # when
        body = world.client(viewer).execute(
            UNREACT, {"input": {"subjectId": gid(target)}}
        )
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
            assert state(world) == before
            return
        payload = body["data"]["unreact"]
        if reads(viewer, place):
            assert payload["errors"] == []
            assert payload["subject"]["viewerReaction"] is None
            others = [] if viewer == "group_admin" else [{"kind": "LIKE", "count": 1}]
            assert payload["subject"]["reactions"] == others
        else:
            assert codes_of(payload) == [("subjectId", "NOT_FOUND")]
            assert state(world) == before

    def test_a_kind_removes_only_a_reaction_of_that_kind(self, world):
        """unreact(kind: LIKE) after switching to LOVE on another device keeps
        LOVE; unreact(kind: LOVE) removes it."""
        # given
        target = gid(world.posts["PUBLIC"])
        client = world.client("member")
        react(client, target, "LOVE")
        # when
        stale = unreact(client, target, "LIKE")
        matching = unreact(client, target, "LOVE")
        # then
        assert stale["errors"] == []
        assert stale["subject"]["viewerReaction"] == "LOVE"
        assert matching["errors"] == []
        assert matching["subject"]["viewerReaction"] is None
        assert not Reaction.objects.exists()

    def test_removing_no_reaction_is_not_an_error(self, world):
        """unreact is idempotent."""
        payload = unreact(world.client("member"), gid(world.comments["ORG"]))
        assert payload["errors"] == []
        assert payload["subject"]["reactionCount"] == 0

    def test_a_users_id_is_not_found(self, world):
        """Only posts and comments have reactions to remove."""
        payload = unreact(world.client("member"), gid(world.users["admin"]))
        assert codes_of(payload) == [("subjectId", "NOT_FOUND")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("on", SUBJECTS)
def test_concurrent_reactions_of_one_user_leave_one(on):
    """The same person reacting from several devices at the same moment: one
    reaction remains, of one of the kinds sent, and no request fails."""
    # given
    user = make_user("rapide")
    group = make_group("Machine a cafe", "PUBLIC")
    join(user, group)
    post = publish(user, group, "Qui vient ?")
    target = (
        post
        if on == "post"
        else post.comments.create(author=user, body="Moi", body_html="<p>Moi</p>")
    )
    kinds = ["LIKE", "LOVE", "BRAVO", "FUNNY", "INSIGHTFUL", "LIKE"]
    barrier = threading.Barrier(len(kinds))
    results: list[dict] = []
    failures: list[BaseException] = []

    def attempt(kind: str) -> None:
        try:
            client = signed_in(user)
            barrier.wait()
            results.append(react(client, gid(target), kind))
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(kind,)) for kind in kinds]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert failures == []
    assert len(results) == len(kinds)
    assert all(result["errors"] == [] for result in results)
    [reaction] = Reaction.objects.all()
    assert reaction.user_id == user.pk
    assert reaction.kind in kinds
