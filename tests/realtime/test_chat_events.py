"""`chatEvents` over a real graphql-transport-ws socket, and catching up after a
dropped connection.

Writes go through HTTP; to show that an event did *not* reach someone, a later
event that must reach them is made, and the next message has to be that one.
"""

from dataclasses import dataclass

import pytest

from social.actions.auth import token_issue
from social.actions.chat import conversation_start
from social.models import Role, User
from tests.conftest import gid, make_user
from tests.realtime.client import connect, http_graphql
from tests.realtime.live import next_payload, subscribe_live

pytestmark = [pytest.mark.live_server, pytest.mark.django_db(transaction=True)]

CHAT_EVENTS = """
subscription Chat($conversationId: ID) {
  chatEvents(conversationId: $conversationId) {
    kind
    conversation { id title }
    message { id sequence body isDeleted }
    user { username }
  }
}
"""
START = """
mutation($ids: [ID!]!, $title: String) {
  startConversation(input: {participantIds: $ids, title: $title}) {
    conversation { id } errors { code } }
}
"""
SEND = """
mutation($c: ID!, $body: String!, $clientId: String) {
  sendMessage(input: {conversationId: $c, body: $body, clientId: $clientId}) {
    message { id sequence } errors { code } }
}
"""
EDIT = """
mutation($m: ID!) { editMessage(input: {messageId: $m, body: "Pardon : 10 h"}) {
  errors { code } } }
"""
DELETE = (
    "mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { errors { code } } }"
)
READ = """
mutation($c: ID!) { markConversationRead(input: {conversationId: $c}) {
  errors { code } } }
"""
TYPING = (
    "mutation($c: ID!) { sendTyping(input: {conversationId: $c}) { errors { code } } }"
)
LEAVE = """
mutation($c: ID!) { leaveConversation(input: {conversationId: $c}) { errors { code } } }
"""
REMOVE = """
mutation($c: ID!, $u: ID!) {
  removeConversationParticipant(input: {conversationId: $c, userId: $u}) {
    errors { code } } }
"""
ADD = """
mutation($c: ID!, $u: [ID!]!) {
  addConversationParticipants(input: {conversationId: $c, userIds: $u}) {
    errors { code } } }
"""
MESSAGES = """
query($c: ID!, $after: String) {
  node(id: $c) { ... on Conversation {
    messages(first: 50, after: $after) {
      pageInfo { endCursor } edges { node { sequence body } } } } }
}
"""


@dataclass
class People:
    users: dict[str, User]
    tokens: dict[str, str]
    team: object  # a group conversation of anne (creator), bruno and chloe


@pytest.fixture
def people(db) -> People:
    users = {name: make_user(name) for name in ("anne", "bruno", "chloe", "olga")}
    users["adele"] = make_user("adele", role=Role.ADMIN)
    team = conversation_start(
        actor=users["anne"],
        participant_ids=[users["bruno"].pk, users["chloe"].pk],
        title="Équipe espaces verts",
    ).conversation
    tokens = {name: token_issue(user=user) for name, user in users.items()}
    return People(users, tokens, team)


async def as_user(base_url, people, name, query, variables) -> dict:
    body = await http_graphql(base_url, query, variables, people.tokens[name])
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload.get("errors") == [], payload
    return payload


async def send(base_url, people, name, conversation, body) -> dict:
    payload = await as_user(
        base_url, people, name, SEND, {"c": gid(conversation), "body": body}
    )
    return payload["message"]


async def signed_in(ws, people, name) -> None:
    ack = await ws.init({"authorization": f"Bearer {people.tokens[name]}"})
    assert ack["type"] == "connection_ack", ack


async def next_chat(ws, operation) -> dict:
    return (await next_payload(ws, operation))["chatEvents"]


def socket(base_url):
    return connect(f"{base_url}/graphql/")


async def test_messages_edits_deletions_and_receipts_arrive_in_order(
    live_server_url, people
):
    """Bruno follows his conversations: Anne's message, her edit, her deletion
    (a tombstone) and Chloé's read receipt, in order."""
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, "bruno")
        operation = await subscribe_live(ws, live_server_url, CHAT_EVENTS)
        # when
        sent = await send(live_server_url, people, "anne", people.team, "RDV 9 h")
        await as_user(live_server_url, people, "anne", EDIT, {"m": sent["id"]})
        await as_user(live_server_url, people, "chloe", READ, {"c": gid(people.team)})
        await as_user(live_server_url, people, "anne", DELETE, {"m": sent["id"]})
        # then
        got = [await next_chat(ws, operation) for _ in range(4)]
    assert [event["kind"] for event in got] == [
        "MESSAGE_SENT",
        "MESSAGE_EDITED",
        "READ",
        "MESSAGE_DELETED",
    ]
    assert got[0]["message"] == {
        "id": sent["id"],
        "sequence": 1,
        "body": "RDV 9 h",
        "isDeleted": False,
    }
    assert got[0]["user"] == {"username": "anne"}
    assert got[0]["conversation"] == {
        "id": gid(people.team),
        "title": "Équipe espaces verts",
    }
    assert got[2]["user"] == {"username": "chloe"}
    assert got[2]["message"]["id"] == sent["id"]
    assert got[3]["message"]["isDeleted"] is True
    assert got[3]["message"]["body"] == ""


async def test_typing_reaches_the_others_but_not_the_typer(live_server_url, people):
    """Anne types: Bruno sees TYPING; Anne's own socket does not."""
    async with socket(live_server_url) as anne, socket(live_server_url) as bruno:
        await signed_in(anne, people, "anne")
        await signed_in(bruno, people, "bruno")
        anne_op = await subscribe_live(anne, live_server_url, CHAT_EVENTS)
        bruno_op = await subscribe_live(
            bruno, live_server_url, CHAT_EVENTS, listening=2
        )
        # when
        await as_user(live_server_url, people, "anne", TYPING, {"c": gid(people.team)})
        marker = await send(live_server_url, people, "bruno", people.team, "Oui ?")
        # then
        seen_by_bruno = await next_chat(bruno, bruno_op)
        seen_by_anne = await next_chat(anne, anne_op)
    assert seen_by_bruno["kind"] == "TYPING"
    assert seen_by_bruno["user"] == {"username": "anne"}
    assert seen_by_bruno["message"] is None
    assert seen_by_anne["kind"] == "MESSAGE_SENT"
    assert seen_by_anne["message"]["id"] == marker["id"]


async def test_a_conversation_started_with_someone_reaches_them_at_once(
    live_server_url, people
):
    """Olga is in no conversation; Anne writes to her: CONVERSATION_STARTED,
    then the messages of the new conversation, on the same subscription."""
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, "olga")
        operation = await subscribe_live(ws, live_server_url, CHAT_EVENTS)
        # when
        started = await as_user(
            live_server_url, people, "anne", START, {"ids": [gid(people.users["olga"])]}
        )
        conversation_id = started["conversation"]["id"]
        body = {"c": conversation_id, "body": "Bonjour Olga"}
        await as_user(live_server_url, people, "anne", SEND, body)
        # then
        first = await next_chat(ws, operation)
        second = await next_chat(ws, operation)
    assert first["kind"] == "CONVERSATION_STARTED"
    assert first["conversation"]["id"] == conversation_id
    assert first["user"] == {"username": "anne"}
    assert second["kind"] == "MESSAGE_SENT"
    assert second["message"]["body"] == "Bonjour Olga"


@pytest.mark.parametrize("outsider", ["olga", "adele"])
async def test_outsiders_and_admins_receive_nothing(live_server_url, people, outsider):
    """Subscribed to a conversation they are not in (an organisation admin
    too), they get nothing of it: not a message, not typing, not a receipt;
    added to it, they get what comes after."""
    conversation = gid(people.team)
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, outsider)
        operation = await subscribe_live(
            ws, live_server_url, CHAT_EVENTS, {"conversationId": conversation}
        )
        everything = await subscribe_live(ws, live_server_url, CHAT_EVENTS, listening=2)
        # when
        await send(live_server_url, people, "anne", people.team, "Entre nous")
        await as_user(live_server_url, people, "anne", TYPING, {"c": conversation})
        await as_user(live_server_url, people, "bruno", READ, {"c": conversation})
        user_id = gid(people.users[outsider])
        await as_user(
            live_server_url, people, "anne", ADD, {"c": conversation, "u": [user_id]}
        )
        after = await send(live_server_url, people, "anne", people.team, "Bienvenue")
        # then: the first events are the arrival and the message after it
        got = [await ws.receive() for _ in range(4)]
    by_operation = {}
    for message in got:
        by_operation.setdefault(message["id"], []).append(
            message["payload"]["data"]["chatEvents"]
        )
    for events in (by_operation[everything], by_operation[operation]):
        assert [event["kind"] for event in events] == [
            "CONVERSATION_STARTED",
            "MESSAGE_SENT",
        ]
        assert events[1]["message"]["id"] == after["id"]


@pytest.fixture
def other(people):
    """A direct conversation of Bruno and Chloé."""
    return conversation_start(
        actor=people.users["bruno"], participant_ids=[people.users["chloe"].pk]
    ).conversation


@pytest.mark.parametrize("how", ["leaves", "is removed"])
async def test_a_participant_who_goes_stops_receiving_at_once(
    live_server_url, people, other, how
):
    """Chloé leaves, or Anne removes her: nothing more of that conversation
    reaches her, on any subscription; her other conversations go on, and once
    added back she gets what follows."""
    conversation = gid(people.team)
    chloe = gid(people.users["chloe"])
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, "chloe")
        everything = await subscribe_live(ws, live_server_url, CHAT_EVENTS)
        pinned = await subscribe_live(
            ws,
            live_server_url,
            CHAT_EVENTS,
            {"conversationId": conversation},
            listening=2,
        )
        # when
        if how == "leaves":
            await as_user(live_server_url, people, "chloe", LEAVE, {"c": conversation})
        else:
            variables = {"c": conversation, "u": chloe}
            await as_user(live_server_url, people, "anne", REMOVE, variables)
        await send(live_server_url, people, "anne", people.team, "Sans Chloé")
        await as_user(live_server_url, people, "anne", TYPING, {"c": conversation})
        marker = await send(live_server_url, people, "bruno", other, "Et toi ?")
        first = await next_chat(ws, everything)
        await as_user(
            live_server_url, people, "anne", ADD, {"c": conversation, "u": [chloe]}
        )
        # then: each subscription's next event is the arrival
        back = {}
        for _ in range(2):
            message = await ws.receive()
            back[message["id"]] = message["payload"]["data"]["chatEvents"]["kind"]
    assert first["message"]["id"] == marker["id"]
    assert back == {pinned: "CONVERSATION_STARTED", everything: "CONVERSATION_STARTED"}


async def test_a_phone_catches_up_after_a_dropped_connection(live_server_url, people):
    """Bruno's phone had read up to a cursor; its socket drops while Anne sends
    three messages; back, `messages(after: cursor)` gives exactly those, in
    order, and its new socket gets what follows."""
    conversation = gid(people.team)
    await send(live_server_url, people, "anne", people.team, "Un")
    seen = await http_graphql(
        live_server_url, MESSAGES, {"c": conversation}, people.tokens["bruno"]
    )
    cursor = seen["data"]["node"]["messages"]["pageInfo"]["endCursor"]
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, "bruno")
        operation = await subscribe_live(ws, live_server_url, CHAT_EVENTS)
        await send(live_server_url, people, "anne", people.team, "Deux")
        assert (await next_chat(ws, operation))["message"]["body"] == "Deux"
    # when: the socket is gone
    for body in ("Trois", "Quatre", "Cinq"):
        await send(live_server_url, people, "anne", people.team, body)
    # then
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, "bruno")
        operation = await subscribe_live(ws, live_server_url, CHAT_EVENTS)
        missed = await http_graphql(
            live_server_url,
            MESSAGES,
            {"c": conversation, "after": cursor},
            people.tokens["bruno"],
        )
        await send(live_server_url, people, "anne", people.team, "Six")
        live = await next_chat(ws, operation)
    edges = missed["data"]["node"]["messages"]["edges"]
    assert [(e["node"]["sequence"], e["node"]["body"]) for e in edges] == [
        (2, "Deux"),
        (3, "Trois"),
        (4, "Quatre"),
        (5, "Cinq"),
    ]
    assert live["message"]["sequence"] == 6


async def test_a_retried_send_is_announced_once(live_server_url, people):
    """The same clientId sent twice makes one message and one MESSAGE_SENT."""
    async with socket(live_server_url) as ws:
        await signed_in(ws, people, "bruno")
        operation = await subscribe_live(ws, live_server_url, CHAT_EVENTS)
        # when
        variables = {"c": gid(people.team), "body": "Arrivé", "clientId": "p-1"}
        first = await as_user(live_server_url, people, "anne", SEND, variables)
        retry = await as_user(live_server_url, people, "anne", SEND, variables)
        marker = await send(live_server_url, people, "chloe", people.team, "Ok")
        # then
        events = [await next_chat(ws, operation) for _ in range(2)]
    assert first["message"] == retry["message"]
    assert [event["message"]["id"] for event in events] == [
        first["message"]["id"],
        marker["id"],
    ]
