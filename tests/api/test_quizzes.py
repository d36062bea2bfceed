"""Quizzes: `isCorrect` revealed at close, `winners` for the organisers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from social.models import Poll, PollParticipation
from tests.api import test_polls
from tests.api.test_polls import (
    CLOSE,
    CREATE,
    FLOWERS,
    VIEWERS,
    add_poll,
    codes_of,
    options_of,
    publish,
    read,
    vote,
)
from tests.conftest import gid

world = test_polls.world  # the fixture: the posts world, a poll on each post

WINNERS = """
query Winners($id: ID!, $first: Int, $after: String) {
  node(id: $id) { ... on Poll {
    isClosed options { text isCorrect }
    winners(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id } }
    }
  } }
}
"""


def winner_ids(world, viewer: str, poll: Poll, **variables) -> list[str]:
    data = world.client(viewer).data(WINNERS, {"id": gid(poll), **variables})
    return [edge["node"]["id"] for edge in data["node"]["winners"]["edges"]]


def close(world, poll: Poll) -> None:
    payload = world.client("member").data(CLOSE, {"input": {"pollId": gid(poll)}})
    assert payload["closePoll"]["errors"] == []


def in_order(world, poll: Poll, *choices: tuple[str, list[int]]) -> None:
    """Vote as each viewer with the options at the given positions, and make
    their voting times strictly increasing."""
    options = options_of(poll)
    start = timezone.now() - timedelta(hours=1)
    for n, (viewer, positions) in enumerate(choices):
        vote(world.client(viewer), poll, *[options[p] for p in positions])
        PollParticipation.objects.filter(poll=poll, user=world.users[viewer]).update(
            voted_at=start + timedelta(minutes=n)
        )


@pytest.fixture
def quiz(world) -> Poll:
    """A single-choice quiz by `member` in the public group: Rose is right;
    group_admin, outsider and communicator answer right in that order, admin
    wrong."""
    post = publish(world.users["member"], world.groups["PUBLIC"], "Énigme")
    poll = add_poll(post, correct_option_indexes=[1])
    in_order(
        world,
        poll,
        ("group_admin", [1]),
        ("admin", [0]),
        ("outsider", [1]),
        ("communicator", [1]),
    )
    return poll


class TestCreate:
    def test_a_quiz_is_created_with_its_answer(self, world):
        """correctOptionIndex makes a quiz, whose answer stays hidden."""
        payload = world.client("member").data(
            CREATE,
            {
                "input": {
                    "groupId": gid(world.groups["PUBLIC"]),
                    "body": "Énigme du lundi",
                    "poll": {
                        "question": "Qui suis-je ?",
                        "options": FLOWERS,
                        "correctOptionIndex": 2,
                    },
                }
            },
        )["createPost"]
        assert payload["errors"] == []
        poll = payload["post"]["poll"]
        assert poll["isQuiz"] is True
        assert [o["isCorrect"] for o in poll["options"]] == [None] * 3
        stored = Poll.objects.get(post__body="Énigme du lundi")
        assert [o.is_correct for o in options_of(stored)] == [False, False, True]

    def test_a_multiple_choice_quiz_has_several_answers(self, world):
        """correctOptionIndexes gives several right options."""
        payload = world.client("member").data(
            CREATE,
            {
                "input": {
                    "groupId": gid(world.groups["PUBLIC"]),
                    "body": "Énigme double",
                    "poll": {
                        "question": "Lesquelles sont bulbeuses ?",
                        "options": FLOWERS,
                        "isMultipleChoice": True,
                        "correctOptionIndexes": [0, 2],
                    },
                }
            },
        )["createPost"]
        assert payload["errors"] == []
        stored = Poll.objects.get(post__body="Énigme double")
        assert [o.is_correct for o in options_of(stored)] == [True, False, True]


class TestReveal:
    @pytest.mark.parametrize("viewer", ["member", "admin", "outsider"])
    def test_answers_are_null_until_closed(self, world, quiz, viewer):
        """isCorrect is null for everyone, the author included, while open; then
        revealed to every reader."""
        before = read(world, viewer, quiz)["poll"]["options"]
        close(world, quiz)
        after = read(world, viewer, quiz)["poll"]["options"]
        assert [o["isCorrect"] for o in before] == [None] * 3
        assert [o["isCorrect"] for o in after] == [False, True, False]

    def test_answers_are_revealed_when_the_deadline_passes(self, world, quiz):
        """A quiz past closesAt is closed: its answers show."""
        Poll.objects.filter(pk=quiz.pk).update(
            closes_at=timezone.now() - timedelta(seconds=1)
        )
        options = read(world, "outsider", quiz)["poll"]["options"]
        assert [o["isCorrect"] for o in options] == [False, True, False]

    def test_a_plain_poll_has_no_answers(self, world):
        """isCorrect stays null on a poll that is not a quiz, even closed."""
        post = publish(world.users["member"], world.groups["PUBLIC"], "Sondage")
        poll = add_poll(post)
        close(world, poll)
        options = read(world, "member", poll)["poll"]["options"]
        assert [o["isCorrect"] for o in options] == [None] * 3


class TestWinners:
    def test_winners_are_the_right_answers_earliest_first(self, world, quiz):
        """After close, the organiser sees who answered right, earliest first."""
        close(world, quiz)
        assert winner_ids(world, "member", quiz) == [
            gid(world.users[v]) for v in ("group_admin", "outsider", "communicator")
        ]

    def test_winners_page_with_cursors(self, world, quiz):
        """winners is a connection: first/after page through it."""
        close(world, quiz)
        client = world.client("member")
        page = client.data(WINNERS, {"id": gid(quiz), "first": 2})["node"]["winners"]
        assert page["totalCount"] == 3
        assert page["pageInfo"]["hasNextPage"] is True
        rest = winner_ids(
            world, "member", quiz, first=2, after=page["pageInfo"]["endCursor"]
        )
        assert rest == [gid(world.users["communicator"])]

    def test_changing_one_s_answer_moves_one_back(self, world, quiz):
        """The time that counts is one's latest change of answer."""
        vote(world.client("group_admin"), quiz, options_of(quiz)[0])
        vote(world.client("group_admin"), quiz, options_of(quiz)[1])
        close(world, quiz)
        assert winner_ids(world, "member", quiz)[-1] == gid(world.users["group_admin"])

    def test_a_multiple_choice_winner_chose_exactly_the_answers(self, world):
        """With several right options, only the exact set wins: not a subset,
        not a superset."""
        post = publish(world.users["member"], world.groups["PUBLIC"], "Double")
        poll = add_poll(post, is_multiple_choice=True, correct_option_indexes=[0, 2])
        in_order(
            world,
            poll,
            ("outsider", [0]),
            ("communicator", [0, 1, 2]),
            ("group_admin", [2, 0]),
            ("admin", [0, 2]),
        )
        close(world, poll)
        assert winner_ids(world, "member", poll) == [
            gid(world.users["group_admin"]),
            gid(world.users["admin"]),
        ]

    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_the_organisers_see_the_winners(self, world, quiz, viewer):
        """The post's author, the group's admins and organisation admins see
        the winners of a closed quiz; other readers get an empty list, the
        rest no poll at all."""
        close(world, quiz)
        body = world.client(viewer).execute(WINNERS, {"id": gid(quiz)})
        if viewer == "anonymous":
            assert body["data"]["node"] is None
            return
        winners = body["data"]["node"]["winners"]
        if viewer in ("member", "group_admin", "admin"):
            assert winners["totalCount"] == 3
        else:
            assert winners == {
                "totalCount": 0,
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "edges": [],
            }

    def test_no_winners_before_close(self, world, quiz):
        """While open, the winners list is empty, for the organiser too."""
        assert winner_ids(world, "member", quiz) == []
        assert winner_ids(world, "admin", quiz) == []

    def test_an_anonymous_quiz_has_no_winners(self, world):
        """Nobody can be named on an anonymous quiz: winners stay empty."""
        post = publish(world.users["member"], world.groups["PUBLIC"], "Anonyme")
        poll = add_poll(post, is_anonymous=True, correct_option_indexes=[1])
        vote(world.client("outsider"), poll, options_of(poll)[1])
        close(world, poll)
        assert winner_ids(world, "member", poll) == []
        assert winner_ids(world, "admin", poll) == []
        options = read(world, "member", poll)["poll"]["options"]
        assert [o["voteCount"] for o in options] == [0, 1, 0]

    def test_a_refused_close_reveals_nothing(self, world, quiz):
        """A reader who is not an organiser cannot close the quiz early."""
        payload = world.client("outsider").data(
            CLOSE, {"input": {"pollId": gid(quiz)}}
        )["closePoll"]
        assert codes_of(payload) == [("pollId", "FORBIDDEN")]
        options = read(world, "outsider", quiz)["poll"]["options"]
        assert [o["isCorrect"] for o in options] == [None] * 3
