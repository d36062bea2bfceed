"""Polls: `Post.poll`, `Poll`, `PollOption`, `createPost(poll)`, `vote`, `closePoll`.

Built on the shared world of the posts area (tests.api.test_posts.build_world):
each of its posts gets a poll.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from social.actions.polls import PollSpec, check_poll, poll_add, poll_vote
from social.models import Poll, PollBallot, PollOption, PollParticipation, Post, User
from tests.api.test_posts import (
    PLACES,
    VIEWERS,
    World,
    build_world,
    codes_of,
    is_unauthenticated,
    publish,
    reads,
)
from tests.conftest import GraphQLClient, at_once, gid, make_user

CREATE = """
mutation Create($input: CreatePostInput!) {
  createPost(input: $input) {
    post { id body poll { ...PollState } }
    errors { field code message }
  }
}
fragment PollState on Poll {
  id question isMultipleChoice isAnonymous isQuiz hideResultsUntilClosed closesAt
  isClosed totalVoters viewerCanClose
  options { id text voteCount isCorrect }
  viewerVotedOptions { id text }
}
"""

POLL_STATE = """
fragment PollState on Poll {
  id question isMultipleChoice isAnonymous isQuiz hideResultsUntilClosed closesAt
  isClosed totalVoters viewerCanClose
  options { id text voteCount isCorrect voters(first: 100) { edges { node { id } } } }
  viewerVotedOptions { id text }
}
"""

READ = (
    POLL_STATE
    + """
query Read($post: ID!, $poll: ID!, $options: [ID!]!) {
  post: node(id: $post) { ... on Post { poll { ...PollState } } }
  poll: node(id: $poll) { ...PollState }
  options: nodes(ids: $options) { ... on PollOption { id text voteCount } }
}
"""
)

VOTE = (
    POLL_STATE
    + """
mutation Vote($input: VoteInput!) {
  vote(input: $input) { poll { ...PollState } errors { field code message } }
}
"""
)

CLOSE = (
    POLL_STATE
    + """
mutation Close($input: ClosePollInput!) {
  closePoll(input: $input) { poll { ...PollState } errors { field code message } }
}
"""
)

FEED_PAGE = """
query FeedPage($first: Int) {
  feed(first: $first) {
    edges { node { id poll {
      id question isClosed totalVoters isQuiz closesAt viewerCanClose
      options { id text voteCount isCorrect }
      viewerVotedOptions { id }
    } } }
  }
}
"""

DELETE = """
mutation Delete($input: DeletePostInput!) {
  deletePost(input: $input) { postId errors { code } }
}
"""

FLOWERS = ["Tulipe", "Rose", "Pivoine"]


def add_poll(post: Post, options=FLOWERS, question="Quelle fleur ?", **fields):
    """A poll on an existing post, through the action's own checks."""
    spec = PollSpec(question=question, options=list(options), **fields)
    return poll_add(post, check_poll(spec, now=timezone.now()))


def options_of(poll: Poll) -> list[PollOption]:
    return list(poll.options.order_by("position"))


def vote(client: GraphQLClient, poll: Poll, *options: PollOption) -> dict:
    return client.data(
        VOTE,
        {"input": {"pollId": gid(poll), "optionIds": [gid(o) for o in options]}},
    )["vote"]


def author_of(place: str) -> str:
    return "communicator" if place == "ORG" else "member"


def organises(viewer: str, place: str) -> bool:
    """The post's author, a group moderator, an org admin (who reads it)."""
    if not reads(viewer, place):
        return False
    if viewer == "group_admin":
        return place != "ORG"
    return viewer in (author_of(place), "admin")


@pytest.fixture
def world(db) -> World:
    world = build_world()
    world.polls = {place: add_poll(post) for place, post in world.posts.items()}
    return world


def read(world: World, viewer: str, poll: Poll) -> dict:
    return world.client(viewer).data(
        READ,
        {
            "post": gid(poll.post),
            "poll": gid(poll),
            "options": [gid(o) for o in options_of(poll)],
        },
    )


# --- createPost with a poll ---------------------------------------------------------


class TestCreate:
    def test_the_post_and_its_poll_are_created_together(self, world):
        """createPost with `poll` returns the post with its open poll, options in
        order, no votes, no quiz."""
        # given
        client = world.client("member")
        group = world.groups["PRIVATE"]
        # when
        payload = client.data(
            CREATE,
            {
                "input": {
                    "groupId": gid(group),
                    "body": "On vote !",
                    "poll": {
                        "question": " Quel jour pour la fête du personnel ? ",
                        "options": ["Vendredi", "Samedi"],
                        "isMultipleChoice": True,
                    },
                }
            },
        )["createPost"]
        # then
        assert payload["errors"] == []
        poll = payload["post"]["poll"]
        assert poll["question"] == "Quel jour pour la fête du personnel ?"
        assert [o["text"] for o in poll["options"]] == ["Vendredi", "Samedi"]
        assert [o["voteCount"] for o in poll["options"]] == [0, 0]
        assert [o["isCorrect"] for o in poll["options"]] == [None, None]
        assert poll["isMultipleChoice"] is True
        assert poll["isQuiz"] is False
        assert poll["isClosed"] is False
        assert poll["totalVoters"] == 0
        assert poll["viewerVotedOptions"] == []
        assert poll["viewerCanClose"] is True

    def test_a_post_without_poll_has_none(self, world):
        """`poll` is null on a post without one."""
        post = publish(world.users["member"], world.groups["PUBLIC"], "Sans sondage")
        data = world.client("member").data(
            "query($id: ID!) { node(id: $id) { ... on Post { poll { id } } } }",
            {"id": gid(post)},
        )
        assert data["node"]["poll"] is None

    @pytest.mark.parametrize(
        ("poll", "expected"),
        [
            ({"options": ["Seule"]}, ("poll.options", "INVALID")),
            ({"options": [f"R{n}" for n in range(21)]}, ("poll.options", "INVALID")),
            ({"question": "  "}, ("poll.question", "REQUIRED")),
            ({"question": "?" * 501}, ("poll.question", "TOO_LONG")),
            ({"options": ["Oui", " "]}, ("poll.options", "REQUIRED")),
            ({"options": ["Oui", "n" * 201]}, ("poll.options", "TOO_LONG")),
            ({"options": ["Oui", "oui"]}, ("poll.options", "INVALID")),
            ({"correctOptionIndex": 2}, ("poll.correctOptionIndexes", "INVALID")),
            ({"correctOptionIndex": -1}, ("poll.correctOptionIndexes", "INVALID")),
            (
                {"correctOptionIndexes": [0, 1]},
                ("poll.correctOptionIndexes", "INVALID"),
            ),
            (
                {"correctOptionIndex": 0, "correctOptionIndexes": [1]},
                ("poll.correctOptionIndexes", "INVALID"),
            ),
            ({"closesAt": "2001-01-01T00:00:00+00:00"}, ("poll.closesAt", "INVALID")),
        ],
    )
    def test_bad_polls_are_refused_and_nothing_is_created(self, world, poll, expected):
        """Each bad poll is refused with its code; neither the post nor the poll
        is created."""
        # given
        posts, polls = Post.objects.count(), Poll.objects.count()
        fields = {"question": "Quelle fleur ?", "options": ["Oui", "Non"], **poll}
        # when
        payload = world.client("member").data(
            CREATE,
            {
                "input": {
                    "groupId": gid(world.groups["PUBLIC"]),
                    "body": "Sondage",
                    "poll": fields,
                }
            },
        )["createPost"]
        # then
        assert payload["post"] is None
        assert expected in codes_of(payload)
        assert (Post.objects.count(), Poll.objects.count()) == (posts, polls)
        assert PollOption.objects.count() == 4 * len(FLOWERS)

    def test_a_refused_post_creates_no_poll(self, world):
        """A post refused (outsider in a private group) leaves no poll behind."""
        polls = Poll.objects.count()
        payload = world.client("outsider").data(
            CREATE,
            {
                "input": {
                    "groupId": gid(world.groups["PRIVATE"]),
                    "body": "Intrus",
                    "poll": {"question": "?", "options": ["a", "b"]},
                }
            },
        )["createPost"]
        assert codes_of(payload) == [("groupId", "FORBIDDEN")]
        assert Poll.objects.count() == polls

    def test_deleting_the_post_deletes_its_poll(self, world):
        """A poll goes with its post, votes included."""
        poll = world.polls["PUBLIC"]
        vote(world.client("outsider"), poll, options_of(poll)[0])
        payload = world.client("member").data(
            DELETE, {"input": {"postId": gid(poll.post)}}
        )["deletePost"]
        assert payload["errors"] == []
        assert not Poll.objects.filter(pk=poll.pk).exists()
        assert not PollBallot.objects.filter(poll_id=poll.pk).exists()


# --- Who reads, votes on and closes a poll ---------------------------------------


class TestPermissions:
    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_a_poll_is_read_by_the_readers_of_its_post(self, world, viewer, place):
        """Post.poll, node(poll) and nodes(options) follow the post's reading
        rules: null for everyone else (anonymous clients included)."""
        # given
        poll = world.polls[place]
        # when
        body = world.client(viewer).execute(
            READ,
            {
                "post": gid(poll.post),
                "poll": gid(poll),
                "options": [gid(o) for o in options_of(poll)],
            },
        )
        # then
        data = body["data"]
        if reads(viewer, place):
            assert data["post"]["poll"]["id"] == gid(poll)
            assert data["poll"]["question"] == "Quelle fleur ?"
            assert [o["text"] for o in data["options"]] == FLOWERS
            assert data["poll"]["viewerCanClose"] is organises(viewer, place)
        else:
            assert data == {"post": None, "poll": None, "options": [None] * 3}

    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_the_readers_of_a_poll_vote_on_it(self, world, viewer, place):
        """Whoever reads the post votes; the others get NOT_FOUND and anonymous
        clients UNAUTHENTICATED; a refused vote counts for nothing."""
        # given
        poll = world.polls[place]
        first = options_of(poll)[0]
        variables = {"input": {"pollId": gid(poll), "optionIds": [gid(first)]}}
        # when
        body = world.client(viewer).execute(VOTE, variables)
        # then
        if viewer == "anonymous":
            assert is_unauthenticated(body)
        elif reads(viewer, place):
            payload = body["data"]["vote"]
            assert payload["errors"] == []
            assert payload["poll"]["totalVoters"] == 1
            assert payload["poll"]["viewerVotedOptions"] == [
                {"id": gid(first), "text": "Tulipe"}
            ]
        else:
            payload = body["data"]["vote"]
            assert payload == {
                "poll": None,
                "errors": [
                    {"field": "pollId", "code": "NOT_FOUND", "message": "No such poll."}
                ],
            }
        expected = 1 if reads(viewer, place) else 0
        assert PollParticipation.objects.filter(poll=poll).count() == expected

    @pytest.mark.parametrize("place", PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_the_organisers_close_a_poll(self, world, viewer, place):
        """The post's author, the group's admins and organisation admins close
        a poll they read; other readers get FORBIDDEN, the rest NOT_FOUND."""
        # given
        poll = world.polls[place]
        # when
        body = world.client(viewer).execute(CLOSE, {"input": {"pollId": gid(poll)}})
        # then
        poll.refresh_from_db()
        if viewer == "anonymous":
            assert is_unauthenticated(body)
        elif organises(viewer, place):
            payload = body["data"]["closePoll"]
            assert payload["errors"] == []
            assert payload["poll"]["isClosed"] is True
            assert payload["poll"]["viewerCanClose"] is False
        elif reads(viewer, place):
            assert codes_of(body["data"]["closePoll"]) == [("pollId", "FORBIDDEN")]
        else:
            assert codes_of(body["data"]["closePoll"]) == [("pollId", "NOT_FOUND")]
        assert (poll.closed_at is not None) is organises(viewer, place)

    def test_a_member_removed_from_the_group_no_longer_votes(self, world):
        """Reading rules are checked at vote time."""
        poll = world.polls["PRIVATE"]
        poll.post.group.memberships.filter(user=world.users["member"]).delete()
        payload = vote(world.client("member"), poll, options_of(poll)[0])
        assert codes_of(payload) == [("pollId", "NOT_FOUND")]


# --- Voting ------------------------------------------------------------------------


class TestVote:
    def test_a_vote_replaces_the_previous_choice(self, world):
        """Voting again moves one's vote; counts follow; one participation."""
        # given
        poll = world.polls["PUBLIC"]
        tulip, rose, _ = options_of(poll)
        client = world.client("outsider")
        vote(client, poll, tulip)
        # when
        payload = vote(client, poll, rose)
        # then
        state = payload["poll"]
        assert [o["voteCount"] for o in state["options"]] == [0, 1, 0]
        assert state["totalVoters"] == 1
        assert state["viewerVotedOptions"] == [{"id": gid(rose), "text": "Rose"}]
        assert PollParticipation.objects.filter(poll=poll).count() == 1

    def test_an_empty_choice_withdraws_the_vote(self, world):
        """optionIds: [] withdraws one's vote and participation."""
        poll = world.polls["PUBLIC"]
        client = world.client("outsider")
        vote(client, poll, options_of(poll)[0])
        payload = vote(client, poll)
        assert payload["errors"] == []
        assert payload["poll"]["totalVoters"] == 0
        assert [o["voteCount"] for o in payload["poll"]["options"]] == [0, 0, 0]
        assert payload["poll"]["viewerVotedOptions"] == []
        assert not PollParticipation.objects.filter(poll=poll).exists()

    def test_several_options_on_a_multiple_choice_poll(self, world):
        """A multiple-choice poll takes several options; counts per option,
        totalVoters per person."""
        post = publish(world.users["member"], world.groups["PUBLIC"], "Multi")
        poll = add_poll(post, is_multiple_choice=True)
        tulip, rose, peony = options_of(poll)
        vote(world.client("outsider"), poll, tulip, peony)
        payload = vote(world.client("member"), poll, tulip, rose)
        assert [o["voteCount"] for o in payload["poll"]["options"]] == [2, 1, 1]
        assert payload["poll"]["totalVoters"] == 2
        assert [o["text"] for o in payload["poll"]["viewerVotedOptions"]] == [
            "Tulipe",
            "Rose",
        ]

    def test_voters_are_listed_on_a_named_poll(self, world):
        """`voters` lists who chose each option on a poll that is not anonymous."""
        poll = world.polls["PUBLIC"]
        tulip, rose, _ = options_of(poll)
        vote(world.client("outsider"), poll, tulip)
        vote(world.client("member"), poll, rose)
        state = read(world, "communicator", poll)["poll"]
        voters = [
            [edge["node"]["id"] for edge in option["voters"]["edges"]]
            for option in state["options"]
        ]
        assert voters == [
            [gid(world.users["outsider"])],
            [gid(world.users["member"])],
            [],
        ]

    def _refused(self, world, poll, client, option_ids, expected):
        before = list(PollBallot.objects.values_list("pk", "option_id"))
        payload = client.data(
            VOTE, {"input": {"pollId": gid(poll), "optionIds": option_ids}}
        )["vote"]
        assert payload["poll"] is None
        assert codes_of(payload) == [expected]
        assert list(PollBallot.objects.values_list("pk", "option_id")) == before

    def test_options_of_another_poll_are_refused(self, world):
        """An option of another poll is INVALID; the previous choice stays."""
        poll, other = world.polls["PUBLIC"], world.polls["ORG"]
        client = world.client("outsider")
        vote(client, poll, options_of(poll)[0])
        self._refused(
            world,
            poll,
            client,
            [gid(options_of(other)[1])],
            ("optionIds", "INVALID"),
        )

    def test_an_id_that_is_not_an_option_is_not_found(self, world):
        """An ID of another type among the options is NOT_FOUND."""
        poll = world.polls["PUBLIC"]
        self._refused(
            world,
            poll,
            world.client("outsider"),
            [gid(poll.post)],
            ("optionIds", "NOT_FOUND"),
        )

    def test_several_options_on_a_single_choice_poll_are_refused(self, world):
        """A single-choice poll takes one option."""
        poll = world.polls["PUBLIC"]
        tulip, rose, _ = options_of(poll)
        self._refused(
            world,
            poll,
            world.client("outsider"),
            [gid(tulip), gid(rose)],
            ("optionIds", "INVALID"),
        )

    def test_a_closed_poll_takes_no_vote(self, world):
        """After closePoll, voting (or withdrawing) is CLOSED."""
        poll = world.polls["PUBLIC"]
        client = world.client("outsider")
        vote(client, poll, options_of(poll)[0])
        world.client("member").data(CLOSE, {"input": {"pollId": gid(poll)}})
        self._refused(
            world, poll, client, [gid(options_of(poll)[1])], ("pollId", "CLOSED")
        )
        self._refused(world, poll, client, [], ("pollId", "CLOSED"))

    def test_an_expired_poll_is_closed(self, world):
        """Past closesAt, a poll is closed: isClosed, and votes are CLOSED."""
        poll = world.polls["PUBLIC"]
        Poll.objects.filter(pk=poll.pk).update(
            closes_at=timezone.now() - timedelta(seconds=1)
        )
        self._refused(
            world,
            poll,
            world.client("outsider"),
            [gid(options_of(poll)[0])],
            ("pollId", "CLOSED"),
        )
        assert read(world, "outsider", poll)["poll"]["isClosed"] is True

    def test_closing_twice_changes_nothing(self, world):
        """Closing a closed poll is not an error and keeps its closing time."""
        poll = world.polls["PUBLIC"]
        client = world.client("member")
        client.data(CLOSE, {"input": {"pollId": gid(poll)}})
        closed_at = Poll.objects.get(pk=poll.pk).closed_at
        payload = client.data(CLOSE, {"input": {"pollId": gid(poll)}})["closePoll"]
        assert payload["errors"] == []
        assert Poll.objects.get(pk=poll.pk).closed_at == closed_at


# --- Anonymity and hidden results ----------------------------------------------------


class TestAnonymity:
    @pytest.fixture
    def anonymous_poll(self, world) -> Poll:
        post = publish(world.users["member"], world.groups["PUBLIC"], "Anonyme")
        poll = add_poll(post, is_anonymous=True, is_multiple_choice=True)
        tulip, rose, _ = options_of(poll)
        vote(world.client("outsider"), poll, tulip)
        vote(world.client("group_admin"), poll, tulip, rose)
        return poll

    @pytest.mark.parametrize("viewer", ["admin", "member", "communicator"])
    def test_nobody_learns_who_chose_what(self, world, anonymous_poll, viewer):
        """On an anonymous poll, no field, node or list shows who chose what, to
        organisation admins and the post's author too, before and after close:
        voters are empty, counts are totals."""
        poll = anonymous_poll
        voter_ids = {gid(world.users[v]) for v in ("outsider", "group_admin")}
        usernames = {world.users[v].username for v in ("outsider", "group_admin")}
        for _ in ("open", "closed"):
            state = read(world, viewer, poll)
            text = str(state)
            assert not any(voter in text for voter in voter_ids)
            assert not any(name in text for name in usernames)
            options = state["poll"]["options"]
            assert [o["voteCount"] for o in options] == [2, 1, 0]
            assert all(o["voters"]["edges"] == [] for o in options)
            assert state["poll"]["viewerVotedOptions"] == []
            assert state["poll"]["totalVoters"] == 2
            world.client("member").data(CLOSE, {"input": {"pollId": gid(poll)}})

    def test_ballots_name_nobody(self, world, anonymous_poll):
        """No ballot of an anonymous poll refers to a user; its keys are not
        user ids."""
        ballots = PollBallot.objects.filter(poll=anonymous_poll)
        assert ballots.count() == 3
        assert not ballots.filter(user__isnull=False).exists()
        keys = set(ballots.values_list("voter_key", flat=True))
        assert len(keys) == 2
        assert all(len(key) == 64 for key in keys)

    def test_the_voter_sees_and_changes_their_own_choice(self, world, anonymous_poll):
        """The voter still finds their own choice, and replaces it."""
        poll = anonymous_poll
        peony = options_of(poll)[2]
        client = world.client("group_admin")
        state = read(world, "group_admin", poll)["poll"]
        assert [o["text"] for o in state["viewerVotedOptions"]] == ["Tulipe", "Rose"]
        payload = vote(client, poll, peony)
        assert [o["voteCount"] for o in payload["poll"]["options"]] == [1, 0, 1]
        assert payload["poll"]["viewerVotedOptions"] == [
            {"id": gid(peony), "text": "Pivoine"}
        ]
        assert vote(client, poll)["poll"]["totalVoters"] == 1

    def test_a_voter_changes_their_choice_across_a_secret_key_rotation(
        self, world, anonymous_poll, settings
    ):
        """After SECRET_KEY is rotated (the old one kept in SECRET_KEY_FALLBACKS,
        as Django asks), a voter's new choice replaces the old: no double count."""
        # given
        peony = options_of(anonymous_poll)[2]
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "rotated-" + settings.SECRET_KEY
        client = world.client("group_admin")
        # then the old choice is still the viewer's
        state = read(world, "group_admin", anonymous_poll)["poll"]
        assert [o["text"] for o in state["viewerVotedOptions"]] == ["Tulipe", "Rose"]
        # when
        payload = vote(client, anonymous_poll, peony)
        # then
        assert [o["voteCount"] for o in payload["poll"]["options"]] == [1, 0, 1]
        assert payload["poll"]["totalVoters"] == 2

    def test_anonymous_is_not_a_field_of_a_vote_or_a_user(self, world):
        """The schema has no way to reach a ballot: no Ballot type, no votes on
        User."""
        data = world.client("admin").data(
            '{ __type(name: "User") { fields { name } } b: __type(name: "PollBallot")'
            " { name } }"
        )
        assert data["b"] is None
        names = {field["name"] for field in data["__type"]["fields"]}
        assert not any(
            "poll" in name.lower() or "vote" in name.lower() for name in names
        )


class TestHiddenResults:
    @pytest.mark.parametrize("viewer", ["member", "group_admin", "admin", "outsider"])
    def test_results_are_hidden_from_everyone_until_closed(self, world, viewer):
        """With hideResultsUntilClosed, counts and voters are null/empty for
        everyone, the author and admins included, until the poll closes; each
        voter still sees their own choice. After close, all is shown."""
        # given
        post = publish(world.users["member"], world.groups["PUBLIC"], "Secret")
        poll = add_poll(post, hide_results_until_closed=True)
        tulip, rose, _ = options_of(poll)
        vote(world.client("outsider"), poll, tulip)
        vote(world.client(viewer), poll, rose)
        # when
        hidden = read(world, viewer, poll)
        world.client("member").data(CLOSE, {"input": {"pollId": gid(poll)}})
        shown = read(world, viewer, poll)
        # then
        state = hidden["poll"]
        assert state["totalVoters"] is None
        assert [o["voteCount"] for o in state["options"]] == [None] * 3
        assert all(o["voters"]["edges"] == [] for o in state["options"])
        assert [o["voteCount"] for o in hidden["options"]] == [None] * 3
        assert state["viewerVotedOptions"] == [{"id": gid(rose), "text": "Rose"}]
        counts = [1, 1, 0] if viewer != "outsider" else [0, 1, 0]
        assert [o["voteCount"] for o in shown["poll"]["options"]] == counts
        assert shown["poll"]["totalVoters"] == sum(counts)
        assert shown["poll"]["options"][1]["voters"]["edges"] == [
            {"node": {"id": gid(world.users[viewer])}}
        ]


# --- Cost of reading -----------------------------------------------------------------


class TestQueries:
    @pytest.mark.parametrize("viewer", ["member", "admin"])
    def test_a_feed_page_of_polls_costs_the_same_for_1_20_and_100_posts(
        self, world, viewer
    ):
        """Polls, options, counts, totals and the viewer's choice of a feed page
        cost the same number of SQL queries whatever its size."""
        # given: 120 organisation-wide posts with polls, half anonymous, votes
        # on each
        for n in range(120):
            post = publish(world.users["communicator"], None, f"P{n}")
            poll = add_poll(post, is_anonymous=n % 2 == 0, is_multiple_choice=True)
            options = options_of(poll)
            for m, user in enumerate(("member", "outsider", "admin")):
                voter = world.users[user]
                choice = options[(n + m) % 3]
                if poll.is_anonymous:
                    poll_vote(actor=voter, poll_id=poll.pk, option_ids=[choice.pk])
                else:
                    PollBallot.objects.create(poll=poll, option=choice, user=voter)
                    PollParticipation.objects.create(
                        poll=poll, user=voter, voted_at=timezone.now()
                    )
        client = world.client(viewer)
        counts = []
        # when
        for size in (1, 20, 100):
            with CaptureQueriesContext(connection) as queries:
                page = client.data(FEED_PAGE, {"first": size})["feed"]
            assert len(page["edges"]) == size
            counts.append(len(queries))
        # then
        assert counts[0] == counts[1] == counts[2], counts
        node = page["edges"][0]["node"]
        assert node["poll"]["totalVoters"] == 3
        assert len(node["poll"]["viewerVotedOptions"]) == 1
        assert sum(o["voteCount"] for o in node["poll"]["options"]) == 3


# --- Concurrency ---------------------------------------------------------------------


def _vote_at_once(calls: list) -> list[dict]:
    """Run each (client, variables) vote in its own thread, released together."""
    return [data["vote"] for data in at_once([(c, VOTE, v) for c, v in calls])]


def _concurrent_votes(voters: int, changes: int) -> None:
    # given: a poll, `voters` agents, one of whom changes their mind `changes`
    # times at the same moment
    author = make_user("auteur", display_name="Auteur")
    post = publish(author, None, "Quel jour pour la fête du personnel ?")
    poll = add_poll(post, options=["Vendredi", "Samedi", "Dimanche"])
    friday, saturday, sunday = options_of(poll)
    agents = [make_user(f"agent{n}") for n in range(voters)]
    changing = agents[0]

    def client(user: User) -> GraphQLClient:
        http = Client()
        http.force_login(user)
        return GraphQLClient(http)

    def variables(option: PollOption) -> dict:
        return {"input": {"pollId": gid(poll), "optionIds": [gid(option)]}}

    calls = [(client(agent), variables(friday)) for agent in agents[1:]]
    mind = client(changing)
    calls += [(mind, variables((saturday, sunday)[n % 2])) for n in range(changes)]
    # when
    results = _vote_at_once(calls)
    # then
    assert all(result["errors"] == [] for result in results)
    assert PollParticipation.objects.filter(poll=poll).count() == voters
    assert PollParticipation.objects.filter(poll=poll, user=changing).count() == 1
    assert PollBallot.objects.filter(poll=poll, option=friday).count() == voters - 1
    assert PollBallot.objects.filter(poll=poll, user=changing).count() == 1
    state = client(author).data(
        READ,
        {"post": gid(post), "poll": gid(poll), "options": []},
    )["poll"]
    assert state["totalVoters"] == voters
    assert state["options"][0]["voteCount"] == voters - 1
    assert sum(o["voteCount"] for o in state["options"]) == voters


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_leave_exact_counts():
    """Agents voting at the same moment, one of them changing their vote again
    and again at that moment: one participation and one ballot each, exact
    counts."""
    _concurrent_votes(voters=8, changes=4)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_votes_on_postgresql_leave_exact_counts():
    """The same with more agents on PostgreSQL, where the writes really run in
    parallel and only the poll's row lock orders them."""
    _concurrent_votes(voters=30, changes=10)
