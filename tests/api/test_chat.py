"""Chat through the API: conversations, messages, paging, unread counts, read
receipts, typing, leaving, and the cost of the conversation list.

Also home of the small world the chat tests share (`build_chat`). The permission
matrix is in test_chat_permissions.py, concurrency in test_chat_concurrency.py.
"""

from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from social.actions.chat import (
    CONVERSATION_PARTICIPANTS_MAX,
    CONVERSATION_TITLE_MAX_LENGTH,
    MESSAGE_BODY_MAX_LENGTH,
    conversation_start,
    message_send,
)
from social.models import Conversation, Message, Participant, Role, User
from tests.conftest import GraphQLClient, gid, make_user, signed_in
from tests.social.test_markdown import ATTACKS, assert_safe

# --- The shared world ------------------------------------------------------------


@dataclass
class Chat:
    """`creator` started `team` (a GROUP with `participant` and `colleague`) and
    `direct` (with `participant`); `outsider` and `admin` (an organisation admin)
    take part in neither."""

    users: dict[str, User]
    team: Conversation
    direct: Conversation
    team_messages: list[Message]
    direct_messages: list[Message]
    clients: dict[str, GraphQLClient] = field(default_factory=dict)

    def client(self, viewer: str) -> GraphQLClient:
        if viewer not in self.clients:
            self.clients[viewer] = (
                GraphQLClient(Client())
                if viewer == "anonymous"
                else signed_in(self.users[viewer])
            )
        return self.clients[viewer]


def start(actor: User, *others: User, title: str = "", kind=None) -> Conversation:
    return conversation_start(
        actor=actor, participant_ids=[u.pk for u in others], title=title, kind=kind
    ).conversation


def send(actor: User, conversation: Conversation, body: str, client_id=None):
    return message_send(
        actor=actor, conversation_id=conversation.pk, body=body, client_id=client_id
    )


def build_chat() -> Chat:
    users = {
        "creator": make_user("camille", display_name="Camille Martin"),
        "participant": make_user("paul", display_name="Paul Bernard"),
        "colleague": make_user("claire", display_name="Claire Petit"),
        "outsider": make_user("olivier", display_name="Olivier Dehors"),
        "admin": make_user("adele", display_name="Adèle Admin", role=Role.ADMIN),
    }
    creator, participant = users["creator"], users["participant"]
    team = start(creator, participant, users["colleague"], title="Marché de Noël")
    direct = start(creator, participant)
    team_messages = [
        send(creator, team, "Qui tient le stand **vin chaud** samedi ?"),
        send(participant, team, "Moi, de 10 h à 14 h."),
        send(users["colleague"], team, "Je prends l'après-midi."),
    ]
    direct_messages = [
        send(participant, direct, "Tu as les clés du local ?"),
        send(creator, direct, "Oui, je passe les déposer."),
    ]
    return Chat(users, team, direct, team_messages, direct_messages)


@pytest.fixture
def chat(db) -> Chat:
    return build_chat()


def codes_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


# --- Operations ------------------------------------------------------------------

MESSAGE_FIELDS = """
fragment MessageFields on Message {
  id sequence body bodyHtml createdAt editedAt isDeleted deletedAt clientId
  author { id displayName } conversation { id }
  viewerCanEdit viewerCanDelete
}
"""
CONVERSATION_FIELDS = (
    MESSAGE_FIELDS
    + """
fragment ConversationFields on Conversation {
  id kind title createdAt updatedAt unreadCount
  createdBy { id }
  participants { id displayName }
  lastMessage { ...MessageFields }
  readReceipts { user { id } lastReadMessage { id sequence } readAt }
  viewerCanAddParticipants viewerCanRemoveParticipants viewerCanLeave
}
"""
)
CONVERSATIONS = (
    CONVERSATION_FIELDS
    + """
query Conversations($first: Int, $after: String) {
  conversations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...ConversationFields } }
  }
}
"""
)
MESSAGES = (
    MESSAGE_FIELDS
    + """
query Messages($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) {
    ... on Conversation {
      messages(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { ...MessageFields } }
      }
    }
  }
}
"""
)
CONVERSATION = (
    CONVERSATION_FIELDS
    + "query One($id: ID!) { node(id: $id) { ...ConversationFields } }"
)
START = (
    CONVERSATION_FIELDS
    + """
mutation Start($input: StartConversationInput!) {
  startConversation(input: $input) {
    conversation { ...ConversationFields } created errors { field code message }
  }
}
"""
)
SEND = (
    MESSAGE_FIELDS
    + """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    message { ...MessageFields } errors { field code message }
  }
}
"""
)
EDIT = (
    MESSAGE_FIELDS
    + """
mutation Edit($input: EditMessageInput!) {
  editMessage(input: $input) {
    message { ...MessageFields } errors { field code message }
  }
}
"""
)
DELETE = (
    MESSAGE_FIELDS
    + """
mutation Delete($input: DeleteMessageInput!) {
  deleteMessage(input: $input) {
    message { ...MessageFields } errors { field code message }
  }
}
"""
)
MARK_READ = (
    CONVERSATION_FIELDS
    + """
mutation MarkRead($input: MarkConversationReadInput!) {
  markConversationRead(input: $input) {
    conversation { ...ConversationFields } errors { field code message }
  }
}
"""
)
TYPING = """
mutation Typing($input: SendTypingInput!) {
  sendTyping(input: $input) { conversation { id } errors { field code message } }
}
"""
ADD = (
    CONVERSATION_FIELDS
    + """
mutation Add($input: AddConversationParticipantsInput!) {
  addConversationParticipants(input: $input) {
    conversation { ...ConversationFields } errors { field code message }
  }
}
"""
)
REMOVE = (
    CONVERSATION_FIELDS
    + """
mutation Remove($input: RemoveConversationParticipantInput!) {
  removeConversationParticipant(input: $input) {
    conversation { ...ConversationFields } errors { field code message }
  }
}
"""
)
LEAVE = """
mutation Leave($input: LeaveConversationInput!) {
  leaveConversation(input: $input) { conversationId errors { field code message } }
}
"""


def conversation_ids(client: GraphQLClient) -> list[str]:
    page = client.data(CONVERSATIONS, {"first": 100})["conversations"]
    return [edge["node"]["id"] for edge in page["edges"]]


def node(client: GraphQLClient, conversation: Conversation) -> dict | None:
    return client.data(CONVERSATION, {"id": gid(conversation)})["node"]


def messages_page(client: GraphQLClient, conversation, **variables) -> dict:
    data = client.data(MESSAGES, {"id": gid(conversation), **variables})
    return data["node"]["messages"]


def bodies(page: dict) -> list[str]:
    return [edge["node"]["body"] for edge in page["edges"]]


def send_over_api(client, conversation, body: str, client_id=None) -> dict:
    variables = {"conversationId": gid(conversation), "body": body}
    if client_id is not None:
        variables["clientId"] = client_id
    return client.data(SEND, {"input": variables})["sendMessage"]


# --- Starting conversations -------------------------------------------------------


class TestStart:
    def test_one_other_person_and_no_title_is_a_direct_conversation(self, chat):
        """startConversation with one colleague makes a DIRECT conversation of
        the two, with no title, created by the viewer."""
        # given
        me, other = chat.users["outsider"], chat.users["colleague"]
        # when
        payload = signed_in(me).data(
            START, {"input": {"participantIds": [gid(other)]}}
        )["startConversation"]
        # then
        assert payload["errors"] == []
        assert payload["created"] is True
        conversation = payload["conversation"]
        assert (conversation["kind"], conversation["title"]) == ("DIRECT", None)
        assert {p["id"] for p in conversation["participants"]} == {gid(me), gid(other)}
        assert conversation["createdBy"] == {"id": gid(me)}
        assert conversation["lastMessage"] is None
        assert conversation["unreadCount"] == 0
        assert (
            conversation["viewerCanAddParticipants"],
            conversation["viewerCanLeave"],
        ) == (False, False)

    def test_a_direct_conversation_exists_once_per_pair(self, chat):
        """Starting it again, from either side, returns the existing one."""
        # given
        creator, participant = chat.users["creator"], chat.users["participant"]
        # when
        mine = chat.client("creator").data(
            START, {"input": {"participantIds": [gid(participant)]}}
        )["startConversation"]
        theirs = chat.client("participant").data(
            START, {"input": {"participantIds": [gid(creator)]}}
        )["startConversation"]
        # then
        assert mine["conversation"]["id"] == gid(chat.direct)
        assert theirs["conversation"]["id"] == gid(chat.direct)
        assert (mine["created"], theirs["created"]) == (False, False)
        assert Conversation.objects.filter(kind="DIRECT").count() == 1

    def test_a_title_or_several_people_make_a_group(self, chat):
        """A title, or more than one other person, makes a GROUP conversation
        whose participants may add people and leave."""
        users = chat.users
        client = chat.client("outsider")
        titled = client.data(
            START,
            {"input": {"participantIds": [gid(users["colleague"])], "title": "Vélo"}},
        )["startConversation"]["conversation"]
        several = client.data(
            START,
            {
                "input": {
                    "participantIds": [gid(users["colleague"]), gid(users["admin"])]
                }
            },
        )["startConversation"]["conversation"]
        assert (titled["kind"], titled["title"]) == ("GROUP", "Vélo")
        assert (several["kind"], several["title"]) == ("GROUP", None)
        assert several["viewerCanAddParticipants"] is True
        assert several["viewerCanRemoveParticipants"] is True
        assert several["viewerCanLeave"] is True
        assert titled["id"] != several["id"]

    def test_an_explicit_group_of_two_is_not_the_direct_one(self, chat):
        """kind: GROUP with one other person makes a new group conversation,
        each time."""
        variables = {
            "input": {
                "participantIds": [gid(chat.users["participant"])],
                "kind": "GROUP",
            }
        }
        first = chat.client("creator").data(START, variables)["startConversation"]
        again = chat.client("creator").data(START, variables)["startConversation"]
        assert first["conversation"]["kind"] == "GROUP"
        assert first["conversation"]["id"] not in (gid(chat.direct), None)
        assert again["conversation"]["id"] != first["conversation"]["id"]

    @pytest.mark.parametrize(
        ("others", "extra", "expected"),
        [
            ([], {}, [("participantIds", "REQUIRED")]),
            (["self"], {}, [("participantIds", "REQUIRED")]),
            (["missing"], {}, [("participantIds.0", "NOT_FOUND")]),
            (["colleague", "deactivated"], {}, [("participantIds.1", "NOT_FOUND")]),
            (["group"], {}, [("participantIds.0", "NOT_FOUND")]),
            (
                ["colleague"],
                {"title": "x" * (CONVERSATION_TITLE_MAX_LENGTH + 1)},
                [("title", "TOO_LONG")],
            ),
            (
                ["colleague", "admin"],
                {"kind": "DIRECT"},
                [("participantIds", "INVALID")],
            ),
            (
                ["colleague"],
                {"kind": "DIRECT", "title": "Vélo"},
                [("title", "INVALID")],
            ),
        ],
    )
    def test_refusals_have_codes(self, chat, others, extra, expected):
        """Nobody to talk to, unknown or deactivated people, IDs of another
        type, a long title, a DIRECT that cannot be: refused with codes, nothing
        created."""
        # given
        gone = make_user("parti", is_active=False)
        ids = {
            "self": gid(chat.users["outsider"]),
            "missing": gid(User(pk=999_999)),
            "deactivated": gid(gone),
            "group": gid(chat.team),
            **{name: gid(user) for name, user in chat.users.items()},
        }
        before = Conversation.objects.count()
        # when
        payload = chat.client("outsider").data(
            START, {"input": {"participantIds": [ids[o] for o in others], **extra}}
        )["startConversation"]
        # then
        assert codes_of(payload) == expected
        assert payload["conversation"] is None
        assert Conversation.objects.count() == before

    def test_too_many_participants_is_too_long(self, chat):
        """At most 50 people in a conversation, its creator included."""
        people = [make_user(f"agent{n}") for n in range(CONVERSATION_PARTICIPANTS_MAX)]
        payload = chat.client("outsider").data(
            START, {"input": {"participantIds": [gid(u) for u in people]}}
        )["startConversation"]
        assert codes_of(payload) == [("participantIds", "TOO_LONG")]
        fits = chat.client("outsider").data(
            START, {"input": {"participantIds": [gid(u) for u in people[:-1]]}}
        )["startConversation"]
        assert fits["errors"] == []
        assert len(fits["conversation"]["participants"]) == 50


# --- Messages -----------------------------------------------------------------------


class TestMessages:
    def test_a_message_is_markdown_rendered_and_numbered(self, chat):
        """sendMessage stores the body, renders it to HTML, numbers it after
        the last one, and moves the conversation to the top of the list."""
        # given
        client = chat.client("colleague")
        assert conversation_ids(client)[0] == gid(chat.team)
        lone = start(chat.users["colleague"], chat.users["outsider"])
        assert conversation_ids(client)[0] == gid(lone)
        # when
        payload = send_over_api(client, chat.team, "Rendez-vous *place de la Mairie*")
        # then
        assert payload["errors"] == []
        message = payload["message"]
        assert message["sequence"] == 4
        assert message["bodyHtml"] == "<p>Rendez-vous <em>place de la Mairie</em></p>\n"
        assert message["author"]["id"] == gid(chat.users["colleague"])
        assert message["conversation"] == {"id": gid(chat.team)}
        assert message["isDeleted"] is False
        assert (message["viewerCanEdit"], message["viewerCanDelete"]) == (True, True)
        assert conversation_ids(client)[0] == gid(chat.team)

    @pytest.mark.parametrize("attack", ATTACKS)
    def test_bodies_are_sanitised(self, chat, attack):
        """No script or unsafe link reaches bodyHtml."""
        payload = send_over_api(chat.client("creator"), chat.team, attack)
        assert_safe(payload["message"]["bodyHtml"])

    @pytest.mark.parametrize(
        ("body", "client_id", "expected"),
        [
            ("   ", None, [("body", "REQUIRED")]),
            ("x" * (MESSAGE_BODY_MAX_LENGTH + 1), None, [("body", "TOO_LONG")]),
            ("Bonjour", " ", [("clientId", "REQUIRED")]),
            ("Bonjour", "c" * 65, [("clientId", "TOO_LONG")]),
        ],
    )
    def test_refusals_have_codes(self, chat, body, client_id, expected):
        """Blank or too long bodies and client ids are refused; nothing sent."""
        payload = send_over_api(chat.client("creator"), chat.team, body, client_id)
        assert codes_of(payload) == expected
        assert payload["message"] is None
        assert Message.objects.filter(conversation=chat.team).count() == 3

    def test_the_longest_body_is_accepted(self, chat):
        """5,000 characters fit."""
        body = "x" * MESSAGE_BODY_MAX_LENGTH
        payload = send_over_api(chat.client("creator"), chat.team, body)
        assert payload["errors"] == []

    def test_a_retry_with_the_same_client_id_returns_the_first_message(self, chat):
        """The phone lost the answer and sends again: the same message comes
        back, nothing is sent twice, the sequence does not move."""
        # given
        client = chat.client("participant")
        first = send_over_api(client, chat.team, "J'arrive", "8c1f-retry")
        # when
        again = send_over_api(client, chat.team, "J'arrive", "8c1f-retry")
        # then
        assert again["errors"] == []
        assert again["message"] == first["message"]
        assert again["message"]["clientId"] == "8c1f-retry"
        assert Message.objects.filter(client_id="8c1f-retry").count() == 1
        assert Conversation.objects.get(pk=chat.team.pk).last_sequence == 4

    def test_a_retry_after_an_edit_still_returns_the_message(self, chat):
        """The first send is what a retry is compared with, not the edited text."""
        client = chat.client("participant")
        first = send_over_api(client, chat.team, "J'arrive", "late-retry")["message"]
        client.data(
            EDIT, {"input": {"messageId": first["id"], "body": "J'arrive à 9 h"}}
        )
        again = send_over_api(client, chat.team, "J'arrive", "late-retry")
        assert again["errors"] == []
        assert again["message"]["id"] == first["id"]
        assert again["message"]["body"] == "J'arrive à 9 h"

    @pytest.mark.parametrize("change", ["body", "conversation"])
    def test_the_same_client_id_for_another_message_is_a_conflict(self, chat, change):
        """A clientId names one message: reused for another body or in another
        conversation, the send is refused with CONFLICT."""
        client = chat.client("participant")
        send_over_api(client, chat.team, "J'arrive", "reused")
        target = chat.direct if change == "conversation" else chat.team
        body = "J'arrive" if change == "conversation" else "Je suis en retard"
        payload = send_over_api(client, target, body, "reused")
        assert codes_of(payload) == [("clientId", "CONFLICT")]
        assert Message.objects.filter(client_id="reused").count() == 1

    def test_client_ids_are_per_author(self, chat):
        """Two people may use the same clientId: two messages."""
        one = send_over_api(chat.client("creator"), chat.team, "Oui", "same")
        two = send_over_api(chat.client("participant"), chat.team, "Oui", "same")
        assert one["message"]["id"] != two["message"]["id"]

    def test_the_client_id_is_shown_to_its_author_only(self, chat):
        """Others read null."""
        sent = send_over_api(chat.client("creator"), chat.team, "Coucou", "mine-1")
        theirs = messages_page(chat.client("participant"), chat.team, last=1)
        assert sent["message"]["clientId"] == "mine-1"
        assert theirs["edges"][0]["node"]["clientId"] is None
        assert theirs["edges"][0]["node"]["viewerCanEdit"] is False

    def test_the_author_edits_and_marks_it_edited(self, chat):
        """editMessage changes the body and its HTML and sets editedAt; the same
        body again changes nothing."""
        # given
        message = chat.team_messages[1]
        client = chat.client("participant")
        # when
        payload = client.data(
            EDIT,
            {"input": {"messageId": gid(message), "body": "Moi, de **9 h** à 14 h."}},
        )["editMessage"]
        same = client.data(
            EDIT,
            {"input": {"messageId": gid(message), "body": "Moi, de **9 h** à 14 h."}},
        )["editMessage"]
        # then
        assert payload["errors"] == []
        edited = payload["message"]
        assert edited["body"] == "Moi, de **9 h** à 14 h."
        assert edited["bodyHtml"] == "<p>Moi, de <strong>9 h</strong> à 14 h.</p>\n"
        assert edited["editedAt"] is not None
        assert same["message"]["editedAt"] == edited["editedAt"]

    def test_only_the_author_edits_or_deletes(self, chat):
        """Another participant, even the conversation's creator, is FORBIDDEN."""
        message = chat.team_messages[1]
        client = chat.client("creator")
        edit = client.data(EDIT, {"input": {"messageId": gid(message), "body": "Non"}})
        delete = client.data(DELETE, {"input": {"messageId": gid(message)}})
        assert codes_of(edit["editMessage"]) == [("messageId", "FORBIDDEN")]
        assert codes_of(delete["deleteMessage"]) == [("messageId", "FORBIDDEN")]
        assert Message.objects.get(pk=message.pk).body == "Moi, de 10 h à 14 h."

    def test_a_blank_edit_is_required(self, chat):
        """An edit cannot empty a message: delete it instead."""
        message = chat.team_messages[1]
        payload = chat.client("participant").data(
            EDIT, {"input": {"messageId": gid(message), "body": " "}}
        )["editMessage"]
        assert codes_of(payload) == [("body", "REQUIRED")]

    def test_deleting_leaves_a_tombstone(self, chat):
        """deleteMessage empties the body; the message keeps its place, author
        and times, is isDeleted, cannot be edited, and is no longer unread."""
        # given
        message = chat.team_messages[1]
        client = chat.client("participant")
        assert node(chat.client("creator"), chat.team)["unreadCount"] == 2
        # when
        payload = client.data(DELETE, {"input": {"messageId": gid(message)}})
        # then
        tombstone = payload["deleteMessage"]["message"]
        assert payload["deleteMessage"]["errors"] == []
        assert (tombstone["body"], tombstone["bodyHtml"]) == ("", "")
        assert tombstone["isDeleted"] is True
        assert tombstone["deletedAt"] is not None
        assert tombstone["sequence"] == 2
        assert tombstone["author"]["id"] == gid(chat.users["participant"])
        assert (tombstone["viewerCanEdit"], tombstone["viewerCanDelete"]) == (
            False,
            False,
        )
        page = messages_page(chat.client("colleague"), chat.team)
        assert [e["node"]["isDeleted"] for e in page["edges"]] == [False, True, False]
        assert bodies(page)[1] == ""
        assert node(chat.client("creator"), chat.team)["unreadCount"] == 1
        edit = client.data(EDIT, {"input": {"messageId": gid(message), "body": "Oups"}})
        assert codes_of(edit["editMessage"]) == [("messageId", "INVALID")]
        again = client.data(DELETE, {"input": {"messageId": gid(message)}})
        assert again["deleteMessage"]["errors"] == []
        assert again["deleteMessage"]["message"]["deletedAt"] == tombstone["deletedAt"]


# --- Paging -------------------------------------------------------------------------


class TestPaging:
    @pytest.fixture
    def long_chat(self, chat) -> list[str]:
        """45 more messages in the team conversation: 48 in all."""
        users = [chat.users[n] for n in ("creator", "participant", "colleague")]
        for n in range(45):
            send(users[n % 3], chat.team, f"Message {n}")
        return [m.body for m in Message.objects.filter(conversation=chat.team)]

    def test_forward_pages_follow_the_sequence(self, chat, long_chat):
        """first/after from the oldest: every message once, in order."""
        client = chat.client("colleague")
        seen, after = [], None
        while True:
            page = messages_page(client, chat.team, first=10, after=after)
            seen += bodies(page)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == long_chat
        assert page["totalCount"] == 48

    def test_backward_pages_from_the_latest(self, chat, long_chat):
        """last/before: the latest messages first, older ones page by page, each
        page in reading order."""
        client = chat.client("colleague")
        pages, before = [], None
        while True:
            page = messages_page(client, chat.team, last=10, before=before)
            pages.append(bodies(page))
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert pages[0] == long_chat[-10:]
        assert [body for page in reversed(pages) for body in page] == long_chat

    def test_catching_up_after_a_cursor_gets_exactly_what_was_missed(self, chat):
        """The phone kept the cursor of the last message it had; offline, three
        messages were sent and one edited; messages(after) gives exactly the new
        ones, in order (the edit is seen by refetching)."""
        # given
        client = chat.client("participant")
        page = messages_page(client, chat.team, last=20)
        cursor = page["pageInfo"]["endCursor"]
        missed = [
            send(chat.users["colleague"], chat.team, f"Pendant ton absence {n}")
            for n in range(3)
        ]
        # when
        caught_up = messages_page(client, chat.team, first=20, after=cursor)
        # then
        assert [e["node"]["id"] for e in caught_up["edges"]] == [gid(m) for m in missed]
        assert caught_up["pageInfo"]["hasNextPage"] is False

    def test_a_bad_cursor_is_bad_user_input(self, chat):
        body = chat.client("creator").execute(
            MESSAGES, {"id": gid(chat.team), "after": "pas-un-curseur"}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    def test_conversations_page_by_recent_activity(self, chat):
        """conversations(first, after): most recent activity first, each once."""
        # given
        me = chat.users["outsider"]
        others = [make_user(f"voisin{n}") for n in range(7)]
        made = [start(me, other) for other in others]
        send(me, made[2], "Réveillé !")
        client = chat.client("outsider")
        # when
        seen, after = [], None
        while True:
            page = client.data(CONVERSATIONS, {"first": 3, "after": after})
            page = page["conversations"]
            seen += [edge["node"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        # then
        expected = [made[2]] + [c for c in reversed(made) if c != made[2]]
        assert seen == [gid(c) for c in expected]
        assert page["totalCount"] == 7


# --- Read state -------------------------------------------------------------------


class TestReadState:
    def test_unread_counts_follow_messages_and_reads(self, chat):
        """unreadCount counts the messages of others after the viewer's receipt;
        one's own messages are never unread and sending reads the rest."""
        # given
        colleague = chat.client("colleague")
        # then: the colleague sent the last team message, which read the rest
        assert node(colleague, chat.team)["unreadCount"] == 0
        assert node(chat.client("creator"), chat.team)["unreadCount"] == 2
        assert node(chat.client("participant"), chat.team)["unreadCount"] == 1
        # when
        send(chat.users["creator"], chat.team, "Parfait, merci")
        send(chat.users["participant"], chat.direct, "Merci !")
        # then
        assert node(colleague, chat.team)["unreadCount"] == 1
        assert node(chat.client("participant"), chat.team)["unreadCount"] == 2
        assert node(chat.client("creator"), chat.direct)["unreadCount"] == 1

    def test_marking_read_up_to_a_message_and_then_all(self, chat):
        """markConversationRead(messageId) reads up to that message; without it,
        up to the latest; the receipts show it to the other participants."""
        # given
        client = chat.client("participant")
        send(chat.users["creator"], chat.team, "Et dimanche ?")
        assert node(client, chat.team)["unreadCount"] == 2
        third = chat.team_messages[2]
        # when
        payload = client.data(
            MARK_READ,
            {"input": {"conversationId": gid(chat.team), "messageId": gid(third)}},
        )["markConversationRead"]
        # then
        assert payload["errors"] == []
        assert payload["conversation"]["unreadCount"] == 1
        # when
        payload = client.data(MARK_READ, {"input": {"conversationId": gid(chat.team)}})[
            "markConversationRead"
        ]
        # then
        assert payload["conversation"]["unreadCount"] == 0
        receipts = {
            r["user"]["id"]: r
            for r in node(chat.client("colleague"), chat.team)["readReceipts"]
        }
        mine = receipts[gid(chat.users["participant"])]
        assert mine["lastReadMessage"]["sequence"] == 4
        assert mine["readAt"] is not None
        assert (
            receipts[gid(chat.users["colleague"])]["lastReadMessage"]["sequence"] == 3
        )
        assert receipts[gid(chat.users["creator"])]["lastReadMessage"]["sequence"] == 4

    def test_a_receipt_never_moves_back(self, chat):
        """Marking an older message read changes nothing."""
        client = chat.client("participant")
        client.data(MARK_READ, {"input": {"conversationId": gid(chat.team)}})
        payload = client.data(
            MARK_READ,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "messageId": gid(chat.team_messages[0]),
                }
            },
        )["markConversationRead"]
        assert payload["errors"] == []
        assert (
            Participant.objects.get(
                conversation=chat.team, user=chat.users["participant"]
            ).last_read_sequence
            == 3
        )

    def test_a_message_of_another_conversation_is_not_found(self, chat):
        """messageId must be a message of that conversation."""
        payload = chat.client("participant").data(
            MARK_READ,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "messageId": gid(chat.direct_messages[0]),
                }
            },
        )["markConversationRead"]
        assert codes_of(payload) == [("messageId", "NOT_FOUND")]

    def test_a_new_participant_starts_with_nothing_unread(self, chat):
        """Someone added reads the history but owes none of it."""
        payload = chat.client("participant").data(
            ADD,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userIds": [gid(chat.users["outsider"])],
                }
            },
        )["addConversationParticipants"]
        assert payload["errors"] == []
        outsider = chat.client("outsider")
        assert node(outsider, chat.team)["unreadCount"] == 0
        assert bodies(messages_page(outsider, chat.team)) == [
            m.body for m in chat.team_messages
        ]


# --- Participants -------------------------------------------------------------------


class TestParticipants:
    def test_participants_add_people_who_then_see_it(self, chat):
        """Any participant of a group adds colleagues; people already in it are
        left as they are."""
        # given
        newcomer = chat.users["outsider"]
        assert node(chat.client("outsider"), chat.team) is None
        # when
        payload = chat.client("colleague").data(
            ADD,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userIds": [gid(newcomer), gid(chat.users["participant"])],
                }
            },
        )["addConversationParticipants"]
        # then
        assert payload["errors"] == []
        names = [p["displayName"] for p in payload["conversation"]["participants"]]
        assert names == [
            "Camille Martin",
            "Paul Bernard",
            "Claire Petit",
            "Olivier Dehors",
        ]
        assert node(chat.client("outsider"), chat.team)["id"] == gid(chat.team)

    def test_nobody_is_added_to_a_direct_conversation(self, chat):
        """A direct conversation stays between its two people."""
        payload = chat.client("creator").data(
            ADD,
            {
                "input": {
                    "conversationId": gid(chat.direct),
                    "userIds": [gid(chat.users["colleague"])],
                }
            },
        )["addConversationParticipants"]
        assert codes_of(payload) == [("conversationId", "INVALID")]
        assert chat.direct.participants.count() == 2

    def test_adding_past_the_limit_is_too_long(self, chat):
        """At most 50 participants, whoever adds them."""
        people = [make_user(f"agent{n}") for n in range(CONVERSATION_PARTICIPANTS_MAX)]
        payload = chat.client("creator").data(
            ADD,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userIds": [gid(u) for u in people[:48]],
                }
            },
        )["addConversationParticipants"]
        assert codes_of(payload) == [("userIds", "TOO_LONG")]
        assert chat.team.participants.count() == 3

    def test_the_creator_removes_someone_who_loses_it_at_once(self, chat):
        """Removed, a participant no longer sees the conversation, its messages
        or its list entry."""
        # given
        participant = chat.client("participant")
        assert gid(chat.team) in conversation_ids(participant)
        # when
        payload = chat.client("creator").data(
            REMOVE,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userId": gid(chat.users["participant"]),
                }
            },
        )["removeConversationParticipant"]
        # then
        assert payload["errors"] == []
        assert len(payload["conversation"]["participants"]) == 2
        assert node(participant, chat.team) is None
        assert gid(chat.team) not in conversation_ids(participant)
        message = chat.team_messages[0]
        gone = participant.data(
            "query M($id: ID!) { node(id: $id) { id } }", {"id": gid(message)}
        )
        assert gone["node"] is None

    def test_other_participants_do_not_remove_people(self, chat):
        """Only the creator removes others."""
        payload = chat.client("participant").data(
            REMOVE,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userId": gid(chat.users["colleague"]),
                }
            },
        )["removeConversationParticipant"]
        assert codes_of(payload) == [("userId", "FORBIDDEN")]
        assert chat.team.participants.count() == 3

    def test_removing_someone_not_in_it_is_not_found(self, chat):
        payload = chat.client("creator").data(
            REMOVE,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userId": gid(chat.users["outsider"]),
                }
            },
        )["removeConversationParticipant"]
        assert codes_of(payload) == [("userId", "NOT_FOUND")]

    def test_removing_oneself_is_leaving(self, chat):
        """Anyone removes themselves; the payload then shows no conversation."""
        payload = chat.client("participant").data(
            REMOVE,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userId": gid(chat.users["participant"]),
                }
            },
        )["removeConversationParticipant"]
        assert payload == {"conversation": None, "errors": []}
        assert node(chat.client("participant"), chat.team) is None

    def test_leaving_takes_the_conversation_away(self, chat):
        """leaveConversation: gone for the one who left, there for the others,
        who still read the messages of the one who left."""
        # when
        payload = chat.client("colleague").data(
            LEAVE, {"input": {"conversationId": gid(chat.team)}}
        )["leaveConversation"]
        # then
        assert payload == {"conversationId": gid(chat.team), "errors": []}
        assert node(chat.client("colleague"), chat.team) is None
        assert gid(chat.team) not in conversation_ids(chat.client("colleague"))
        still = node(chat.client("creator"), chat.team)
        assert len(still["participants"]) == 2
        page = messages_page(chat.client("creator"), chat.team)
        assert bodies(page)[2] == "Je prends l'après-midi."
        again = chat.client("colleague").data(
            LEAVE, {"input": {"conversationId": gid(chat.team)}}
        )["leaveConversation"]
        assert codes_of(again) == [("conversationId", "NOT_FOUND")]

    def test_a_direct_conversation_is_not_left(self, chat):
        payload = chat.client("participant").data(
            LEAVE, {"input": {"conversationId": gid(chat.direct)}}
        )["leaveConversation"]
        assert codes_of(payload) == [("conversationId", "INVALID")]
        assert node(chat.client("participant"), chat.direct) is not None

    def test_the_creator_who_left_no_longer_removes_anyone(self, chat):
        """Back in the conversation by someone's addition, the creator removes
        again; away from it, nothing."""
        chat.client("creator").data(
            LEAVE, {"input": {"conversationId": gid(chat.team)}}
        )
        payload = chat.client("creator").data(
            REMOVE,
            {
                "input": {
                    "conversationId": gid(chat.team),
                    "userId": gid(chat.users["participant"]),
                }
            },
        )["removeConversationParticipant"]
        assert codes_of(payload) == [("conversationId", "NOT_FOUND")]

    def test_deactivated_participants_are_hidden_from_agents(self, chat):
        """A deactivated colleague disappears from participants and receipts,
        as everywhere; their messages stay, with author null."""
        User.objects.filter(pk=chat.users["colleague"].pk).update(is_active=False)
        state = node(chat.client("creator"), chat.team)
        assert gid(chat.users["colleague"]) not in {
            p["id"] for p in state["participants"]
        }
        assert len(state["readReceipts"]) == 2
        assert state["lastMessage"]["author"] is None


class TestTyping:
    def test_typing_stores_nothing(self, chat):
        """sendTyping answers with the conversation and writes nothing."""
        client = chat.client("participant")
        with CaptureQueriesContext(connection) as queries:
            payload = client.data(TYPING, {"input": {"conversationId": gid(chat.team)}})
        assert payload["sendTyping"] == {
            "conversation": {"id": gid(chat.team)},
            "errors": [],
        }
        writes = [
            q["sql"]
            for q in queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "social_" in q["sql"]
        ]
        assert writes == []


# --- Cost ----------------------------------------------------------------------------


class TestSqlQueryCount:
    @pytest.fixture
    def busy(self, chat) -> Chat:
        """The creator in 120 conversations (direct and group), each with a few
        messages from several people, some read, some deleted."""
        me = chat.users["creator"]
        people = [
            make_user(f"collegue{n}", display_name=f"Collègue {n}") for n in range(6)
        ]
        for n in range(118):
            if n < len(people):
                conversation = start(me, people[n])
            else:
                conversation = start(
                    me, people[n % 6], people[(n + 1) % 6], title=f"Équipe {n}"
                )
            send(people[n % 6], conversation, f"Bonjour {n}")
            send(me, conversation, f"Salut {n}")
            last = send(people[n % 6], conversation, f"Dernier mot {n}")
            if n % 5 == 0:
                last.deleted_at = last.created_at
                last.save(update_fields=["deleted_at"])
        return chat

    def test_a_page_costs_the_same_for_1_20_and_100_conversations(self, busy):
        """A page of conversations with participants, last message and its
        author, unread count, receipts and their messages runs the same number
        of SQL queries whatever its size."""
        client = busy.client("creator")
        counts = []
        for size in (1, 20, 100):
            with CaptureQueriesContext(connection) as queries:
                page = client.data(CONVERSATIONS, {"first": size})["conversations"]
            assert len(page["edges"]) == size
            counts.append(len(queries))
        assert counts[0] == counts[1] == counts[2], counts
        # session, viewer, page, count, unread counts, creators, participants,
        # last messages, receipts' messages, messages' authors, their conversation
        assert counts[0] <= 11, "\n".join(q["sql"][:120] for q in queries)
        node = page["edges"][0]["node"]
        assert node["lastMessage"]["body"].startswith("Dernier mot")
        assert node["participants"]
        assert page["edges"][-1]["node"]["readReceipts"][0]["lastReadMessage"]

    def test_unread_counts_on_a_page_are_each_conversations_own(self, busy):
        """The batched counts are per conversation: 1 unread where the last
        message is someone else's, 0 where it was deleted."""
        page = busy.client("creator").data(CONVERSATIONS, {"first": 100})
        counts = {
            edge["node"]["title"] or edge["node"]["participants"][1]["displayName"]: (
                edge["node"]["unreadCount"]
            )
            for edge in page["conversations"]["edges"]
        }
        assert (counts["Équipe 30"], counts["Équipe 31"]) == (0, 1)
        assert sum(counts.values()) == 80
