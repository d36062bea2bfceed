"""`feedEvents` and `pollUpdated` over a real graphql-transport-ws socket.

Writes go through HTTP as clients make them; events come over the socket of a
live daphne server. To show that an event was *not* delivered, a test makes a
later event that must be: the next message has to be that one (delivery is in
order per subscription).
"""

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from social.actions.auth import token_issue
from social.actions.groups import group_add_members, group_create
from social.models import Role, User
from tests.conftest import gid, make_user
from tests.realtime.client import connect, http_graphql
from tests.realtime.live import (
    FEED_EVENTS,
    POLL_UPDATED,
    next_event,
    next_payload,
    subscribe_live,
)

pytestmark = [pytest.mark.live_server, pytest.mark.django_db(transaction=True)]

CREATE_POST = """
mutation Post($groupId: ID, $body: String!) {
  createPost(input: {groupId: $groupId, body: $body}) { post { id } errors { code } }
}
"""
CREATE_POLL = """
mutation Poll($groupId: ID, $hidden: Boolean!, $anonymous: Boolean!) {
  createPost(input: {groupId: $groupId, body: "Sondage", poll: {
    question: "Quel jour ?", options: ["Lundi", "Mardi"],
    hideResultsUntilClosed: $hidden, isAnonymous: $anonymous}}) {
    post { id poll { id options { id } } } errors { code }
  }
}
"""
UPDATE_POST = """
mutation($postId: ID!) { updatePost(input: {postId: $postId, body: "Corrigé"}) {
  errors { code } } }
"""
DELETE_POST = """
mutation($postId: ID!) { deletePost(input: {postId: $postId}) { errors { code } } }
"""
PIN_POST = (
    "mutation($postId: ID!) { pinPost(input: {postId: $postId}) { errors { code } } }"
)
ADD_COMMENT = """
mutation($postId: ID!) { addComment(input: {postId: $postId, body: "Bravo"}) {
  comment { id } errors { code } } }
"""
UPDATE_COMMENT = """
mutation($id: ID!) { updateComment(input: {commentId: $id, body: "Bravo !"}) {
  errors { code } } }
"""
DELETE_COMMENT = """
mutation($id: ID!) { deleteComment(input: {commentId: $id}) { errors { code } } }
"""
REACT = """
mutation($id: ID!) { react(input: {subjectId: $id, kind: LOVE}) { errors { code } } }
"""
VOTE = """
mutation($pollId: ID!, $optionIds: [ID!]!) {
  vote(input: {pollId: $pollId, optionIds: $optionIds}) { errors { code } } }
"""
CLOSE_POLL = (
    "mutation($pollId: ID!) { closePoll(input: {pollId: $pollId}) { errors { code } } }"
)
REMOVE_MEMBER = """
mutation($g: ID!, $u: ID!) { removeGroupMember(input: {groupId: $g, userId: $u}) {
  errors { code } } }
"""
ADD_MEMBERS = """
mutation($g: ID!, $u: [ID!]!) { addGroupMembers(input: {groupId: $g, userIds: $u}) {
  errors { code } } }
"""
JOIN = "mutation($g: ID!) { joinGroup(input: {groupId: $g}) { errors { code } } }"
LEAVE = "mutation($g: ID!) { leaveGroup(input: {groupId: $g}) { errors { code } } }"
DELETE_GROUP = (
    "mutation($g: ID!) { deleteGroup(input: {groupId: $g}) { errors { code } } }"
)
UPDATE_GROUP = """
mutation($g: ID!, $v: Visibility!) { updateGroup(input: {groupId: $g, visibility: $v}) {
  errors { code } } }
"""


@dataclass
class Town:
    camille: User  # communicator, owner of every group
    bruno: User  # agent, member of the public and the private group
    olga: User  # agent, in no group
    adele: User  # organisation admin, in no group
    tokens: dict[str, str]
    public: object
    private: object
    secret: object


@pytest.fixture
def town(db) -> Town:
    camille = make_user("camille", role=Role.COMMUNICATOR)
    bruno = make_user("bruno")
    olga = make_user("olga")
    adele = make_user("adele", role=Role.ADMIN)
    groups = {
        visibility: group_create(
            actor=camille,
            name=f"Groupe {visibility}",
            kind="TOPIC",
            visibility=visibility,
        )
        for visibility in ("PUBLIC", "PRIVATE", "SECRET")
    }
    for visibility in ("PUBLIC", "PRIVATE"):
        group_add_members(
            actor=camille, group_id=groups[visibility].pk, user_ids=[bruno.pk]
        )
    tokens = {
        user.username: token_issue(user=user) for user in (camille, bruno, olga, adele)
    }
    return Town(
        camille,
        bruno,
        olga,
        adele,
        tokens,
        groups["PUBLIC"],
        groups["PRIVATE"],
        groups["SECRET"],
    )


async def as_user(base_url, town, username, query, variables=None) -> dict:
    """Run a mutation as `username` over HTTP; it must succeed."""
    body = await http_graphql(base_url, query, variables, town.tokens[username])
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload.get("errors") == [], payload
    return payload


async def post(base_url, town, body, group=None, username="camille") -> str:
    variables = {"groupId": gid(group) if group else None, "body": body}
    payload = await as_user(base_url, town, username, CREATE_POST, variables)
    return payload["post"]["id"]


def socket(base_url):
    return connect(f"{base_url}/graphql/")


async def signed_in_socket(ws, town, username):
    ack = await ws.init({"authorization": f"Bearer {town.tokens[username]}"})
    assert ack["type"] == "connection_ack", ack


# --- Delivery ------------------------------------------------------------------


async def test_new_posts_of_the_feed_arrive_in_order(live_server_url, town):
    """The feed subscription gets organisation-wide posts and those of the
    viewer's groups, with their fields, in the order they were written."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "bruno")
        operation = await subscribe_live(ws, live_server_url)
        # when
        first = await post(live_server_url, town, "À tous : vœux du maire")
        second = await post(live_server_url, town, "Tonte samedi", town.public)
        third = await post(live_server_url, town, "Réunion", town.private)
        # then
        events = [await next_event(ws, operation) for _ in range(3)]
    assert [event["postId"] for event in events] == [first, second, third]
    assert {event["kind"] for event in events} == {"POST_CREATED"}
    assert events[0]["post"] == {
        "id": first,
        "body": "À tous : vœux du maire",
        "group": None,
    }
    assert events[1]["post"]["group"] == {"id": gid(town.public)}
    assert events[0]["actor"] == {"username": "camille"}
    assert events[0]["comment"] is None
    assert events[0]["commentId"] is None


async def test_a_post_subscription_follows_its_comments_reactions_and_deletion(
    live_server_url, town
):
    """With postId: edits, pinning, comments, reactions, then POST_DELETED,
    after which the subscription completes."""
    post_id = await post(live_server_url, town, "Fête de la musique", town.public)
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        operation = await subscribe_live(
            ws, live_server_url, variables={"postId": post_id}
        )
        # when
        await as_user(
            live_server_url, town, "camille", UPDATE_POST, {"postId": post_id}
        )
        await as_user(live_server_url, town, "camille", PIN_POST, {"postId": post_id})
        comment = await as_user(
            live_server_url, town, "olga", ADD_COMMENT, {"postId": post_id}
        )
        comment_id = comment["comment"]["id"]
        await as_user(live_server_url, town, "olga", UPDATE_COMMENT, {"id": comment_id})
        await as_user(live_server_url, town, "bruno", REACT, {"id": comment_id})
        await as_user(live_server_url, town, "bruno", REACT, {"id": post_id})
        await as_user(live_server_url, town, "olga", DELETE_COMMENT, {"id": comment_id})
        await as_user(
            live_server_url, town, "camille", DELETE_POST, {"postId": post_id}
        )
        # then
        events = [await next_event(ws, operation) for _ in range(8)]
        done = await ws.receive()
    assert [event["kind"] for event in events] == [
        "POST_UPDATED",
        "POST_UPDATED",
        "COMMENT_ADDED",
        "COMMENT_UPDATED",
        "REACTIONS_CHANGED",
        "REACTIONS_CHANGED",
        "COMMENT_DELETED",
        "POST_DELETED",
    ]
    assert events[0]["post"]["body"] == "Corrigé"
    assert events[2]["comment"] == {"id": comment_id, "body": "Bravo"}
    assert events[3]["comment"]["body"] == "Bravo !"
    assert events[4]["commentId"] == comment_id
    assert events[5]["commentId"] is None
    assert events[6]["commentId"] == comment_id
    assert events[6]["comment"] is None
    assert events[7]["postId"] == post_id
    assert events[7]["post"] is None
    assert done == {"id": operation, "type": "complete"}


async def test_poll_updates_reach_both_subscriptions(live_server_url, town):
    """A vote and the close reach pollUpdated with the counts, and feedEvents as
    POLL_UPDATED; a vote names no one."""
    created = await as_user(
        live_server_url,
        town,
        "camille",
        CREATE_POLL,
        {"groupId": gid(town.public), "hidden": False, "anonymous": True},
    )
    poll = created["post"]["poll"]
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        polls = await subscribe_live(
            ws, live_server_url, POLL_UPDATED, {"pollId": poll["id"]}
        )
        feed = await subscribe_live(
            ws,
            live_server_url,
            variables={"postId": created["post"]["id"]},
            listening=2,
        )
        # when
        await as_user(
            live_server_url,
            town,
            "bruno",
            VOTE,
            {"pollId": poll["id"], "optionIds": [poll["options"][1]["id"]]},
        )
        await as_user(
            live_server_url, town, "camille", CLOSE_POLL, {"pollId": poll["id"]}
        )
        # then
        received = {polls: [], feed: []}
        for _ in range(4):
            message = await ws.receive()
            received[message["id"]].append(message["payload"]["data"])
    vote, close = (data["pollUpdated"] for data in received[polls])
    assert [option["voteCount"] for option in vote["options"]] == [0, 1]
    assert vote["isClosed"] is False
    assert close["isClosed"] is True
    kinds = [data["feedEvents"]["kind"] for data in received[feed]]
    assert kinds == ["POLL_UPDATED", "POLL_UPDATED"]
    assert received[feed][0]["feedEvents"]["actor"] is None
    assert received[feed][1]["feedEvents"]["actor"] == {"username": "camille"}


async def test_votes_on_hidden_results_send_nothing_until_the_close(
    live_server_url, town
):
    """While results are hidden a vote tells no one anything; the close does."""
    created = await as_user(
        live_server_url,
        town,
        "camille",
        CREATE_POLL,
        {"groupId": gid(town.public), "hidden": True, "anonymous": False},
    )
    poll = created["post"]["poll"]
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        operation = await subscribe_live(
            ws, live_server_url, POLL_UPDATED, {"pollId": poll["id"]}
        )
        # when
        await as_user(
            live_server_url,
            town,
            "bruno",
            VOTE,
            {"pollId": poll["id"], "optionIds": [poll["options"][0]["id"]]},
        )
        await as_user(
            live_server_url, town, "camille", CLOSE_POLL, {"pollId": poll["id"]}
        )
        # then: the first update is the close, with the results
        data = (await next_payload(ws, operation))["pollUpdated"]
    assert data["isClosed"] is True
    assert [option["voteCount"] for option in data["options"]] == [1, 0]


# --- Who receives what ----------------------------------------------------------


async def test_the_feed_leaves_out_groups_the_viewer_is_not_in(live_server_url, town):
    """A public group's post is not in Olga's feed (she is in no group), but
    reaches her subscription to that group; a private or secret group's post
    reaches neither."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        feed = await subscribe_live(ws, live_server_url)
        public = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.public)}, listening=2
        )
        private = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.private)}, listening=3
        )
        secret = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.secret)}, listening=4
        )
        # when
        await post(live_server_url, town, "Secret", town.secret)
        await post(live_server_url, town, "Privé", town.private)
        in_public = await post(live_server_url, town, "Public", town.public)
        org_wide = await post(live_server_url, town, "À tous")
        # then
        first = await ws.receive()
        second = await ws.receive()
        # the private and secret groups' subscriptions still get nothing: make
        # Olga a member, and their first event is the one after that
        await as_user(
            live_server_url,
            town,
            "camille",
            ADD_MEMBERS,
            {"g": gid(town.private), "u": [gid(town.olga)]},
        )
        await as_user(
            live_server_url,
            town,
            "camille",
            ADD_MEMBERS,
            {"g": gid(town.secret), "u": [gid(town.olga)]},
        )
        after_private = await post(live_server_url, town, "Bienvenue", town.private)
        after_secret = await post(live_server_url, town, "Chut", town.secret)
        later = [await ws.receive() for _ in range(4)]
    assert {first["id"], second["id"]} == {public, feed}
    by_operation = {first["id"]: first, second["id"]: second}
    assert by_operation[public]["payload"]["data"]["feedEvents"]["postId"] == in_public
    assert by_operation[feed]["payload"]["data"]["feedEvents"]["postId"] == org_wide
    got = {(m["id"], m["payload"]["data"]["feedEvents"]["postId"]) for m in later}
    # Olga's feed now follows both groups too.
    assert got == {
        (private, after_private),
        (secret, after_secret),
        (feed, after_private),
        (feed, after_secret),
    }


async def test_a_removed_member_stops_receiving_at_once(live_server_url, town):
    """Removed from the private group, Bruno gets none of its events, on his
    feed or on his subscription to the group; his other groups go on."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "bruno")
        feed = await subscribe_live(ws, live_server_url)
        group = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.private)}, listening=2
        )
        await post(live_server_url, town, "Avant", town.private)
        before = {(await ws.receive())["id"] for _ in range(2)}
        # when
        await as_user(
            live_server_url,
            town,
            "camille",
            REMOVE_MEMBER,
            {"g": gid(town.private), "u": gid(town.bruno)},
        )
        await post(live_server_url, town, "Après", town.private)
        marker = await post(live_server_url, town, "Tonte", town.public)
        # then
        message = await next_event(ws, feed)
    assert before == {feed, group}
    assert message["postId"] == marker


async def test_joining_and_leaving_a_group_changes_the_feed_on_the_fly(
    live_server_url, town
):
    """Olga joins the public group: its posts enter her feed subscription;
    she leaves: they leave it."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        feed = await subscribe_live(ws, live_server_url)
        # when
        await as_user(live_server_url, town, "olga", JOIN, {"g": gid(town.public)})
        joined = await post(live_server_url, town, "Bienvenue", town.public)
        first = await next_event(ws, feed)
        await as_user(live_server_url, town, "olga", LEAVE, {"g": gid(town.public)})
        await post(live_server_url, town, "Sans Olga", town.public)
        marker = await post(live_server_url, town, "À tous")
        second = await next_event(ws, feed)
    assert first["postId"] == joined
    assert second["postId"] == marker


async def test_a_group_made_secret_stops_reaching_outsiders(live_server_url, town):
    """Olga follows the public group without being in it; once it is secret its
    events stop reaching her."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        group = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.public)}
        )
        feed = await subscribe_live(ws, live_server_url, listening=2)
        # when
        await as_user(
            live_server_url,
            town,
            "camille",
            UPDATE_GROUP,
            {"g": gid(town.public), "v": "SECRET"},
        )
        await post(live_server_url, town, "Entre nous", town.public)
        marker = await post(live_server_url, town, "À tous")
        message = await ws.receive()
    assert message["id"] == feed
    assert message["payload"]["data"]["feedEvents"]["postId"] == marker
    assert group != feed


async def test_a_deleted_group_ends_its_subscriptions(live_server_url, town):
    """deleteGroup: a subscription to the group completes."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "bruno")
        operation = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.private)}
        )
        # when
        await as_user(
            live_server_url, town, "camille", DELETE_GROUP, {"g": gid(town.private)}
        )
        # then
        assert await ws.receive() == {"id": operation, "type": "complete"}


async def test_organisation_admins_get_no_private_group_events(live_server_url, town):
    """An organisation admin outside a private group reads none of its posts,
    live either."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "adele")
        group = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.private)}
        )
        feed = await subscribe_live(ws, live_server_url, listening=2)
        # when
        await post(live_server_url, town, "Privé", town.private)
        marker = await post(live_server_url, town, "À tous")
        message = await ws.receive()
    assert message["id"] == feed != group
    assert message["payload"]["data"]["feedEvents"]["postId"] == marker


@pytest.mark.parametrize("query", [FEED_EVENTS, POLL_UPDATED])
async def test_anonymous_sockets_cannot_subscribe(live_server_url, db, query):
    """Subscriptions need a signed-in viewer: UNAUTHENTICATED."""
    async with socket(live_server_url) as ws:
        await ws.init()
        operation = await ws.subscribe(query, {"pollId": gid_of("Poll", 1)})
        message = await ws.receive()
    assert message["id"] == operation
    errors = (
        message["payload"]["errors"]
        if message["type"] == "next"
        else message["payload"]
    )
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def gid_of(type_name: str, pk: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, pk)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (FEED_EVENTS, {"groupId": gid_of("Post", 1)}),
        (FEED_EVENTS, {"postId": gid_of("Group", 1)}),
        (POLL_UPDATED, {"pollId": gid_of("Post", 1)}),
    ],
)
async def test_ids_of_the_wrong_type_are_bad_input(
    live_server_url, town, query, variables
):
    """An ID of another type is BAD_USER_INPUT; the socket stays open."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "bruno")
        operation = await ws.subscribe(query, variables)
        message = await ws.receive()
        assert message["id"] == operation
        errors = message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert (await ws.receive())["type"] == "complete"


# Where a server's SQLite connections are counted: its open files (Linux).
PROCESS_FILES = Path("/proc/self/fd").is_dir()


def _server_connections() -> int:
    """Database connections held by other processes (the server): PostgreSQL's
    backends of the test database but the one asking; for SQLite, the open
    descriptors of the test database's file in other processes (Linux)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        database = os.path.realpath(connection.settings_dict["NAME"])
        held = 0
        for process in Path("/proc").iterdir():
            if not process.name.isdigit() or int(process.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):  # gone, or not ours to read
                for descriptor in (process / "fd").iterdir():
                    with contextlib.suppress(OSError):
                        held += os.readlink(descriptor) == database
        return held
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (count,) = cursor.fetchone()
    finally:
        connection.close()  # asked from a thread that would keep it
    return count


async def test_subscriptions_hold_no_database_connection_between_events(
    live_server_url, town
):
    """Five sockets get two events whose fields need a query in each socket's
    own thread (each viewer's reaction); afterwards none of them keeps a
    database connection (CONN_MAX_AGE=0): the second event opens one again
    after the first's was let go, and it is let go again."""
    import time

    from asgiref.sync import sync_to_async
    from django.db import connection

    if connection.vendor == "sqlite" and not PROCESS_FILES:
        pytest.skip("counting a server's SQLite connections reads /proc (Linux)")
    query = FEED_EVENTS.replace(
        "actor { username }",
        "actor { username } post { author { username } viewerReaction }",
    )
    # This test's own connections (its fixtures', its thread's).
    baseline = await sync_to_async(_server_connections)()
    sockets = [socket(live_server_url) for _ in range(5)]
    opened = [await s.__aenter__() for s in sockets]
    try:
        operations = []
        for index, ws in enumerate(opened):
            await signed_in_socket(
                ws, town, ("bruno", "olga", "adele", "camille", "bruno")[index]
            )
            operations.append(
                await subscribe_live(ws, live_server_url, query, listening=index + 1)
            )
        # when
        for body in ("À tous", "Encore"):
            post_id = await post(live_server_url, town, body)
            for ws, operation in zip(opened, operations, strict=True):
                event = await next_event(ws, operation)
                assert event["postId"] == post_id
                assert event["post"]["viewerReaction"] is None
        # then: within a few seconds, no server connection is left open
        deadline = time.monotonic() + 10
        while (left := await sync_to_async(_server_connections)() - baseline) > 0:
            assert time.monotonic() < deadline, f"{left} connections held"
            await asyncio.sleep(0.2)
    finally:
        for s in sockets:
            await s.__aexit__(None, None, None)


SET_ROLE = """
mutation($u: ID!, $role: Role!) { setUserRole(input: {userId: $u, role: $role}) {
  errors { code } } }
"""
WITH_PHONE = FEED_EVENTS.replace(
    "post { id body group { id } }", "post { id body author { phone } }"
)


async def test_a_demoted_admin_loses_admin_sight_on_an_open_socket(
    live_server_url, town
):
    """Adèle is an admin when her socket opens and sees authors' phones; made
    an agent, the next event shows her no phone."""
    await asyncio.to_thread(_give_phone_and_second_admin, town)
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "adele")
        operation = await subscribe_live(ws, live_server_url, WITH_PHONE)
        await post(live_server_url, town, "Avant")
        before = await next_event(ws, operation)
        # when
        await as_user(
            live_server_url,
            town,
            "root",
            SET_ROLE,
            {"u": gid(town.adele), "role": "AGENT"},
        )
        await post(live_server_url, town, "Après")
        after = await next_event(ws, operation)
    assert before["post"]["author"] == {"phone": "+33612345678"}
    assert after["post"]["author"] == {"phone": None}


def _give_phone_and_second_admin(town) -> None:
    from django.db import connection

    try:
        User.objects.filter(pk=town.camille.pk).update(phone="+33612345678")
        root = make_user("root", role=Role.ADMIN)
        town.tokens["root"] = token_issue(user=root)
    finally:
        connection.close()


async def test_a_deleted_secret_group_stays_silent_to_outsiders(live_server_url, town):
    """Olga follows the secret group's ID without being in it: its deletion
    ends nothing for her (it never existed for her); her feed goes on."""
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "olga")
        group = await subscribe_live(
            ws, live_server_url, variables={"groupId": gid(town.secret)}
        )
        feed = await subscribe_live(ws, live_server_url, listening=2)
        # when
        await as_user(
            live_server_url, town, "camille", DELETE_GROUP, {"g": gid(town.secret)}
        )
        marker = await post(live_server_url, town, "À tous")
        message = await ws.receive()
    assert message["id"] == feed != group
    assert message["payload"]["data"]["feedEvents"]["postId"] == marker


async def test_a_deleted_group_ends_subscriptions_to_its_posts(live_server_url, town):
    """feedEvents(postId) and pollUpdated on a post of a deleted group end."""
    created = await as_user(
        live_server_url,
        town,
        "camille",
        CREATE_POLL,
        {"groupId": gid(town.public), "hidden": False, "anonymous": False},
    )
    async with socket(live_server_url) as ws:
        await signed_in_socket(ws, town, "bruno")
        on_post = await subscribe_live(
            ws, live_server_url, variables={"postId": created["post"]["id"]}
        )
        on_poll = await subscribe_live(
            ws,
            live_server_url,
            POLL_UPDATED,
            {"pollId": created["post"]["poll"]["id"]},
            listening=2,
        )
        # when
        await as_user(
            live_server_url, town, "camille", DELETE_GROUP, {"g": gid(town.public)}
        )
        # then
        done = [await ws.receive() for _ in range(2)]
    assert {(m["id"], m["type"]) for m in done} == {
        (on_post, "complete"),
        (on_poll, "complete"),
    }


WITH_AUTHOR = FEED_EVENTS.replace(
    "post { id body group { id } }", "post { id author { username } }"
)


async def test_an_events_author_follows_the_users_rule_for_each_subscriber(
    live_server_url, town
):
    """The event's post is read once with its author for every socket; each
    subscriber still sees the author only as the users' rule lets them: made
    inactive, Camille is null for Bruno and still named for Adèle, an
    organisation admin."""
    post_id = await post(live_server_url, town, "Fête de la musique")
    async with socket(live_server_url) as agent, socket(live_server_url) as admin:
        await signed_in_socket(agent, town, "bruno")
        await signed_in_socket(admin, town, "adele")
        variables = {"postId": post_id}
        agent_op = await agent.subscribe(WITH_AUTHOR, variables)
        admin_op = await subscribe_live(
            admin, live_server_url, WITH_AUTHOR, variables, listening=2
        )
        await as_user(live_server_url, town, "bruno", ADD_COMMENT, variables)
        before = [await next_event(agent, agent_op), await next_event(admin, admin_op)]
        # when
        await asyncio.to_thread(_deactivate, town.camille)
        await as_user(live_server_url, town, "bruno", ADD_COMMENT, variables)
        after = [await next_event(agent, agent_op), await next_event(admin, admin_op)]
    assert [event["post"]["author"] for event in before] == [
        {"username": "camille"},
        {"username": "camille"},
    ]
    assert [event["post"]["author"] for event in after] == [
        None,
        {"username": "camille"},
    ]
    assert {event["kind"] for event in before + after} == {"COMMENT_ADDED"}


def _deactivate(user) -> None:
    from django.db import connection

    try:
        User.objects.filter(pk=user.pk).update(is_active=False)
    finally:
        connection.close()
