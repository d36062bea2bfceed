"""Connections under a list (graphql_schema.batches.connection_nodes): every
item's page is read in one query, answers exactly as the same item asked for
alone, and shows no more than the viewer may read. `groups { posts members }`
is in test_page_batches.py; here the others: `groups { pendingRequests }`,
`feed { comments }`, `comments { replies }`, `conversations { messages }`,
`organization { departments { members } }` and `poll { options { voters } }`."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import from_base64

from social.models import (
    Department,
    GroupRole,
    MembershipStatus,
    Message,
    Participant,
    Poll,
    PollBallot,
    PollOption,
    Post,
    Role,
    Visibility,
)
from tests.api.test_chat import send, start
from tests.api.test_posts import comment_on, join, make_group, publish
from tests.conftest import gid, make_user, signed_in

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
FRAGMENTS = {
    "Members": f"""fragment Members on GroupMemberConnection {{ totalCount {PAGE_INFO}
      edges {{ cursor node {{ id role createdAt user {{ id displayName }} }} }}
    }}""",
    "Comments": f"""fragment Comments on CommentConnection {{ totalCount {PAGE_INFO}
      edges {{ cursor node {{ id body replyCount author {{ id displayName }} }} }}
    }}""",
    "Messages": f"""fragment Messages on MessageConnection {{ totalCount {PAGE_INFO}
      edges {{ cursor node {{ id sequence body author {{ id displayName }} }} }} }}""",
    "People": f"""fragment People on UserConnection {{ totalCount {PAGE_INFO}
      edges {{ cursor node {{ id displayName }} }} }}""",
}
PAGE_ARGUMENTS = "(first: $first, last: $last, after: $after)"
VARIABLES = "$first: Int, $last: Int, $after: String"


@dataclass(frozen=True)
class Case:
    """A connection field under a list: the list query (`$n` items), how to
    find its items in the answer, and the query of one item alone."""

    field: str
    listed: str
    items: Callable[[dict, int], list[dict]]  # (data, $n) -> items
    alone: str

    def _fragment(self, query: str) -> str:
        (used,) = [name for name in FRAGMENTS if f"...{name}" in query]
        return FRAGMENTS[used] + "\n" + query

    def listed_query(self) -> str:
        return self._fragment(self.listed)

    def alone_query(self) -> str:
        return self._fragment(self.alone)


def _edges(connection: dict) -> list[dict]:
    return [edge["node"] for edge in connection["edges"]]


CASES = [
    Case(
        "pendingRequests",
        f"""query Listed($n: Int!, {VARIABLES}) {{ groups(first: $n) {{ edges {{
          node {{ id pendingRequests{PAGE_ARGUMENTS} {{ ...Members }} }} }} }} }}""",
        lambda data, n: _edges(data["groups"]),
        f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{ ... on Group {{
          id pendingRequests{PAGE_ARGUMENTS} {{ ...Members }} }} }} }}""",
    ),
    Case(
        "comments",
        f"""query Listed($n: Int!, {VARIABLES}) {{ feed(first: $n) {{ edges {{
          node {{ id comments{PAGE_ARGUMENTS} {{ ...Comments }} }} }} }} }}""",
        lambda data, n: _edges(data["feed"]),
        f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{ ... on Post {{
          id comments{PAGE_ARGUMENTS} {{ ...Comments }} }} }} }}""",
    ),
    Case(
        "replies",
        f"""query Listed($n: Int!, {VARIABLES}) {{ feed(first: $n) {{ edges {{
          node {{ id comments {{ edges {{ node {{
            id replies{PAGE_ARGUMENTS} {{ ...Comments }} }} }} }} }} }} }} }}""",
        lambda data, n: [
            comment
            for post in _edges(data["feed"])
            for comment in _edges(post["comments"])
        ],
        f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{ ... on Comment {{
          id replies{PAGE_ARGUMENTS} {{ ...Comments }} }} }} }}""",
    ),
    Case(
        "messages",
        f"""query Listed($n: Int!, {VARIABLES}) {{ conversations(first: $n) {{
          edges {{ node {{ id messages{PAGE_ARGUMENTS} {{ ...Messages }} }} }} }} }}""",
        lambda data, n: _edges(data["conversations"]),
        f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{
          ... on Conversation {{ id messages{PAGE_ARGUMENTS} {{ ...Messages }} }}
        }} }}""",
    ),
    Case(
        "members",
        # An organisation lists all its departments: the first $n are kept.
        f"""query Listed({VARIABLES}) {{ organization {{ departments {{
          id members{PAGE_ARGUMENTS} {{ ...People }} }} }} }}""",
        lambda data, n: data["organization"]["departments"][:n],
        f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{ ... on Department {{
          id members{PAGE_ARGUMENTS} {{ ...People }} }} }} }}""",
    ),
    Case(
        "voters",
        f"""query Listed($n: Int!, {VARIABLES}) {{ feed(first: $n) {{ edges {{
          node {{ id poll {{ options {{
            id voters{PAGE_ARGUMENTS} {{ ...People }} }} }} }} }} }} }}""",
        lambda data, n: [
            option
            for post in _edges(data["feed"])
            if post["poll"]
            for option in post["poll"]["options"]
        ],
        f"""query Alone($id: ID!, {VARIABLES}) {{ node(id: $id) {{ ... on PollOption {{
          id voters{PAGE_ARGUMENTS} {{ ...People }} }} }} }}""",
    ),
]
BY_FIELD = {case.field: case for case in CASES}
VIEWERS = ["out", "ana", "mod", "root"]


@pytest.fixture
def town(db):
    """Four services; five groups of every visibility, each with posts,
    comments, replies and requests to join; organisation-wide posts; polls;
    four conversations. `out` is in no group, `ana` in some (an admin of one),
    `mod` administers them all, `root` is an organisation administrator in
    none; `gone`, deactivated, wrote some of it."""
    services = [
        Department.objects.create(name=f"Service {n}", slug=f"service-{n}")
        for n in range(4)
    ]
    people = {
        name: make_user(name, display_name=name.title(), department=services[n % 4])
        for n, name in enumerate(["out", "ana", "mod", "bob"])
    }
    people["root"] = make_user(
        "root", display_name="Root", role=Role.ADMIN, department=services[3]
    )
    gone = make_user("gone", display_name="Gone", department=services[1])
    for n, service in enumerate(services):
        for k in range(n + 1):
            make_user(f"agent{n}{k}", display_name=f"Agent {n}.{k}", department=service)
    ana, mod, bob = people["ana"], people["mod"], people["bob"]
    visibilities = [Visibility.PUBLIC, Visibility.PRIVATE, Visibility.SECRET]
    for n in range(5):
        group = make_group(f"Groupe {n}", visibilities[n % 3])
        join(mod, group, role=GroupRole.ADMIN)
        join(bob, group)
        join(gone, group)
        if n == 0:
            join(ana, group, role=GroupRole.ADMIN)
        elif n % 2 == 0:
            join(ana, group)
        for k in range(n % 3 + 1):
            asker = make_user(f"asker{n}{k}", display_name=f"Demande {n}.{k}")
            join(asker, group, status=MembershipStatus.PENDING)
        for k in range(2):
            post = publish(bob, group, f"Groupe {n} message {k}")
            _discuss(post, [ana, bob, gone], size=n + k)
    everyone = [publish(mod, None, f"À tous {k}") for k in range(3)]
    for k, post in enumerate(everyone):
        _discuss(post, [bob, gone, ana], size=k + 2)
    # Named polls (one with several choices), one whose results are hidden,
    # and one in the secret group 2.
    out = people["out"]
    _poll(everyone[2], {"A": [ana, bob], "B": [ana, mod], "C": [gone]}, multiple=True)
    _poll(everyone[1], {"A": [bob], "B": []}, hide_results_until_closed=True)
    _poll(everyone[0], {"X": [bob], "Y": [gone, out]})
    _poll(Post.objects.get(body="Groupe 2 message 1"), {"P": [mod], "Q": [bob]})
    conversations = [
        start(ana, bob),
        start(bob, mod, people["out"], title="Équipe"),
        start(mod, people["root"]),
        start(ana, mod, bob, gone, title="Chantier"),
    ]
    for n, conversation in enumerate(conversations):
        members = [
            participant.user
            for participant in Participant.objects.filter(conversation=conversation)
            .select_related("user")
            .order_by("pk")
        ]
        for k in range(n + 2):
            send(members[k % len(members)], conversation, f"Message {n}.{k}")
    gone.is_active = False
    gone.save()
    return people


def _poll(post, choices: dict, multiple: bool = False, **fields) -> None:
    poll = Poll.objects.create(
        post=post, question="Quand ?", is_multiple_choice=multiple, **fields
    )
    for position, (text, voters) in enumerate(choices.items()):
        option = PollOption.objects.create(poll=poll, position=position, text=text)
        for voter in voters:
            PollBallot.objects.create(poll=poll, option=option, user=voter)


def _discuss(post, authors, size: int) -> None:
    for k in range(size):
        comment = comment_on(post, authors[k % len(authors)], f"{post.body} / {k}")
        for r in range(k % 3):
            comment_on(
                post, authors[r % len(authors)], f"{comment.body} / {r}", comment
            )


def listed(client, case: Case, n: int = 50, **page) -> list[dict]:
    query = case.listed_query()
    variables = {"n": n, **page} if "$n" in query else page
    return case.items(client.data(query, variables), n)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.field)
@pytest.mark.parametrize(
    "page",
    [{}, {"first": 2}, {"last": 2}, {"first": 3, "last": 2}],
    ids=["default", "first", "last", "first-and-last"],
)
def test_each_item_answers_as_alone(town, viewer, case, page):
    client = signed_in(town[viewer])
    items = listed(client, case, **page)
    assert items
    for item in items:
        alone = client.data(case.alone_query(), {"id": item["id"], **page})["node"]
        assert item == alone


def test_after_a_cursor_each_item_answers_as_alone(town):
    """A cursor belongs to one item's list: each item reads its own page."""
    client = signed_in(town["mod"])
    case = BY_FIELD["comments"]
    items = listed(client, case)
    longest = max(items, key=lambda item: item["comments"]["totalCount"])
    cursor = longest["comments"]["edges"][1]["cursor"]
    for item in listed(client, case, first=2, after=cursor):
        alone = client.data(
            case.alone_query(), {"id": item["id"], "first": 2, "after": cursor}
        )["node"]
        assert item == alone


def _seen(items: list[dict], field: str) -> int:
    return sum(item[field]["totalCount"] for item in items)


def test_each_viewer_sees_what_they_may(town):
    """What the pages hold, viewer by viewer: requests for the groups' admins
    only, of the groups they administer; comments and replies of readable
    posts; messages of one's own conversations; deactivated colleagues for
    organisation admins only; the voters of named polls whose results are
    shown."""
    seen = {
        viewer: {
            case.field: _seen(listed(signed_in(town[viewer]), case), case.field)
            for case in CASES
        }
        for viewer in VIEWERS
    }
    requests = 1 + 2 + 3 + 1 + 2  # the askers of groups 0 to 4
    assert {viewer: seen[viewer]["pendingRequests"] for viewer in VIEWERS} == {
        "out": 0,
        "ana": 1,  # she administers group 0 only
        "mod": requests,
        "root": 0,
    }
    assert {viewer: seen[viewer]["messages"] for viewer in VIEWERS} == {
        "out": 3,
        "ana": 2 + 5,
        "mod": 3 + 4 + 5,
        "root": 4,
    }
    # Named, shown polls only; `gone`'s votes for organisation admins only; the
    # secret group's poll for its members.
    assert {viewer: seen[viewer]["voters"] for viewer in VIEWERS} == {
        "out": 4 + 2,
        "ana": 4 + 2 + 2,
        "mod": 4 + 2 + 2,
        "root": 5 + 3,
    }
    # One more person in Service 1 for an organisation admin: `gone`.
    assert seen["root"]["members"] == seen["mod"]["members"] + 1
    assert seen["out"]["members"] == seen["ana"]["members"] == seen["mod"]["members"]
    # The outsider's feed has the organisation-wide posts, ana's also her
    # three groups', mod's all five groups'.
    assert seen["out"]["comments"] < seen["ana"]["comments"] < seen["mod"]["comments"]
    assert seen["out"]["replies"] < seen["ana"]["replies"] < seen["mod"]["replies"]


def test_a_secret_groups_comments_never_reach_an_outsider(town):
    client = signed_in(town["out"])
    bodies = [
        node["body"]
        for case in (BY_FIELD["comments"], BY_FIELD["replies"])
        for item in listed(client, case)
        for node in _edges(item[case.field])
    ]
    assert bodies
    assert all(body.startswith("À tous") for body in bodies), bodies


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.field != "members"], ids=lambda case: case.field
)
def test_the_queries_do_not_grow_with_the_list(town, case):
    client = signed_in(town["mod"])
    counts = []
    for n in (1, 3, 5):
        with CaptureQueriesContext(connection) as queries:
            items = listed(client, case, n=n)
        assert any(item[case.field]["totalCount"] for item in items)
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_the_queries_do_not_grow_with_the_departments(town):
    client = signed_in(town["mod"])
    case = BY_FIELD["members"]
    counts = []
    for n in (4, 8):
        while Department.objects.count() < n:
            service = Department.objects.create(
                name=f"Service {Department.objects.count()}",
                slug=f"service-{Department.objects.count()}",
            )
            make_user(f"new{service.pk}", department=service)
        with CaptureQueriesContext(connection) as queries:
            items = listed(client, case, n=n)
        assert len(items) == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_messages_last_page_of_each_conversation(town):
    """What a chat list shows: the last two messages of every conversation,
    oldest first, with the cursor that reads further back."""
    client = signed_in(town["mod"])
    items = listed(client, BY_FIELD["messages"], last=2)
    for item in items:
        page = item["messages"]
        expected = list(
            Message.objects.filter(conversation_id=_pk(item["id"]))
            .order_by("-sequence")
            .values_list("body", flat=True)[:2]
        )[::-1]
        assert [node["body"] for node in _edges(page)] == expected
        assert page["pageInfo"]["hasPreviousPage"] is (page["totalCount"] > 2)


def _pk(global_id: str) -> int:
    return int(from_base64(global_id)[1])


def test_a_bad_cursor_is_the_clients_error(town):
    client = signed_in(town["mod"])
    response = client.execute(
        BY_FIELD["replies"].listed_query(), {"n": 3, "first": 1, "after": "nope"}
    )
    codes = {error["extensions"]["code"] for error in response["errors"]}
    assert codes == {"BAD_USER_INPUT"}, response["errors"]
    assert response["data"] is None


def test_voters_are_in_the_directorys_order(town):
    """By display name, as before they were batched (their cursors hold it)."""
    client = signed_in(town["root"])
    voters = {
        option["id"]: [node["displayName"] for node in _edges(option["voters"])]
        for option in listed(client, BY_FIELD["voters"])
    }
    option = PollOption.objects.get(poll__post__body="À tous 0", text="Y")
    assert voters[gid(option)] == ["Gone", "Out"]
