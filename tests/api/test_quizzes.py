"""Quizzes: `isCorrect` revealed at close, `winners` for the organisers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from strawberry.relay import from_base64

from social.models import Poll, PollParticipation
from tests.api import test_polls
from tests.api.test_connections_in_lists import (
    PAGE_ARGUMENTS,
    VARIABLES,
    Case,
    listed,
)
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


# --- Winners under a list of polls -------------------------------------------------

WINNERS_IN_A_LIST = Case(
    "winners",
    f"""query Listed($n: Int!, {VARIABLES}) {{ feed(first: $n) {{ edges {{ node {{
      poll {{ id winners{PAGE_ARGUMENTS} {{ ...People }} }} }} }} }} }}""",
    lambda data, n: [
        edge["node"]["poll"] for edge in data["feed"]["edges"] if edge["node"]["poll"]
    ],
    f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{ ... on Poll {{
      id winners{PAGE_ARGUMENTS} {{ ...People }} }} }} }}""",
)
LISTING = ("outsider", "member", "group_admin", "communicator", "admin")


@pytest.fixture
def quizzes(world) -> dict[str, Poll]:
    """On top of the world's plain polls, a closed quiz in each place, newest
    last: group_admin is right in ORG and PUBLIC, wrong in PRIVATE and one
    answer short in SECRET (several right answers); and an open quiz in
    PUBLIC, answered right, which names nobody yet."""
    opened = publish(world.users["member"], world.groups["PUBLIC"], "Énigme ouverte")
    still_open = add_poll(opened, correct_option_indexes=[1])
    in_order(world, still_open, ("member", [1]), ("group_admin", [1]))
    answers = {
        "ORG": [
            ("outsider", [1]),
            ("member", [1]),
            ("admin", [0]),
            ("group_admin", [1]),
        ],
        "PUBLIC": [("group_admin", [1]), ("member", [1])],
        "PRIVATE": [("member", [1]), ("group_admin", [0])],
        "SECRET": [("group_admin", [0]), ("member", [0, 2])],
    }
    polls = {}
    for place, choices in answers.items():
        group = None if place == "ORG" else world.groups[place]
        author = world.users[test_polls.author_of(place)]
        post = publish(author, group, f"Énigme {place}")
        if place == "SECRET":
            polls[place] = add_poll(
                post, is_multiple_choice=True, correct_option_indexes=[0, 2]
            )
        else:
            polls[place] = add_poll(post, correct_option_indexes=[1])
        in_order(world, polls[place], *choices)
    Poll.objects.filter(pk__in=[poll.pk for poll in polls.values()]).update(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    return polls


class TestWinnersInAList:
    @pytest.mark.parametrize("viewer", LISTING)
    @pytest.mark.parametrize(
        "page",
        [{}, {"first": 1}, {"last": 1}, {"first": 2, "last": 1}],
        ids=["default", "first", "last", "first-and-last"],
    )
    def test_each_quiz_answers_as_alone(self, world, quizzes, viewer, page):
        client = world.client(viewer)
        polls = listed(client, WINNERS_IN_A_LIST, **page)
        # In the feed: the organisation-wide polls (the world's and the quiz);
        # for the groups' members also the groups' (three and four quizzes).
        assert len(polls) == (9 if viewer in ("member", "group_admin") else 2)
        for poll in polls:
            alone = client.data(
                WINNERS_IN_A_LIST.alone_query(), {"id": poll["id"], **page}
            )["node"]
            assert poll == alone

    def test_each_viewer_sees_the_winners_of_what_they_organise(self, world, quizzes):
        """The post's author and the group's admins see the winners of its
        closed quiz, organisation admins those of the quizzes they read (here
        the organisation-wide one: they are in no group); nobody else any, and
        nobody those of an open quiz."""
        names = {user.pk: viewer for viewer, user in world.users.items()}

        def winners(viewer: str) -> dict[str, list[str]]:
            polls = listed(world.client(viewer), WINNERS_IN_A_LIST)
            by_poll = {poll["id"]: poll["winners"] for poll in polls}
            return {
                place: [
                    names[int(from_base64(edge["node"]["id"])[1])]
                    for edge in by_poll[gid(poll)]["edges"]
                ]
                for place, poll in quizzes.items()
                if gid(poll) in by_poll and by_poll[gid(poll)]["totalCount"]
            }

        in_the_groups = {
            "PUBLIC": ["group_admin", "member"],
            "PRIVATE": ["member"],
            "SECRET": ["member"],
        }
        org_wide = {"ORG": ["outsider", "member", "group_admin"]}
        assert {viewer: winners(viewer) for viewer in LISTING} == {
            "outsider": {},
            "member": in_the_groups,
            "group_admin": in_the_groups,
            "communicator": org_wide,
            "admin": org_wide,
        }

    def test_after_a_cursor_each_quiz_answers_as_alone(self, world, quizzes):
        client = world.client("member")
        page = client.data(
            WINNERS_IN_A_LIST.alone_query(), {"id": gid(quizzes["PUBLIC"]), "first": 1}
        )["node"]["winners"]
        cursor = page["pageInfo"]["endCursor"]
        for poll in listed(client, WINNERS_IN_A_LIST, first=1, after=cursor):
            alone = client.data(
                WINNERS_IN_A_LIST.alone_query(),
                {"id": poll["id"], "first": 1, "after": cursor},
            )["node"]
            assert poll == alone

    def test_the_queries_do_not_grow_with_the_list(self, world, quizzes):
        client = world.client("member")
        counts = []
        for n in (1, 3, 5):
            with CaptureQueriesContext(connection) as queries:
                polls = listed(client, WINNERS_IN_A_LIST, n=n)
            assert len(polls) == n
            assert any(poll["winners"]["totalCount"] for poll in polls)
            counts.append(len(queries))
        assert counts[0] == counts[1] == counts[2], counts
