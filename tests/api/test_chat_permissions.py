"""Who reads and does what in chat: the permission matrix.

Viewers: anonymous, an outsider (no part in the conversation), a participant,
the group conversation's creator, and an organisation admin, who is an outsider
here: a conversation exists for its current participants only. For everyone
else it is indistinguishable from one that does not exist, through node, nodes,
conversations, search, mutation payloads and their error messages.
"""

import pytest
from strawberry.relay import to_base64

from social.models import Conversation, Message, Participant
from tests.api.test_chat import (
    ADD,
    CONVERSATION_FIELDS,
    CONVERSATIONS,
    DELETE,
    EDIT,
    LEAVE,
    MARK_READ,
    MESSAGE_FIELDS,
    REMOVE,
    SEND,
    TYPING,
    Chat,
    build_chat,
    conversation_ids,
)
from tests.conftest import gid

VIEWERS = ("anonymous", "outsider", "participant", "creator", "admin")
PARTICIPANTS = ("participant", "creator")
MISSING_CONVERSATION = to_base64("Conversation", 999_999)
MISSING_MESSAGE = to_base64("Message", 999_999)


@pytest.fixture
def chat(db) -> Chat:
    return build_chat()


def takes_part(viewer: str) -> bool:
    return viewer in PARTICIPANTS


READ = (
    CONVERSATION_FIELDS
    + """
query Read($conversation: ID!, $message: ID!) {
  conversation: node(id: $conversation) {
    ...ConversationFields
    ... on Conversation {
      messages(last: 10) { totalCount edges { cursor node { ...MessageFields } } }
    }
  }
  message: node(id: $message) { ...MessageFields }
  both: nodes(ids: [$conversation, $message]) { id }
}
"""
)


class TestReading:
    @pytest.mark.parametrize("which", ["team", "direct"])
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_a_conversation_and_its_messages_are_read_by_participants_only(
        self, chat, viewer, which
    ):
        """node and nodes give the conversation, its fields and messages to its
        participants; to everyone else, admins included, exactly what a missing
        conversation and message give."""
        # given
        conversation = getattr(chat, which)
        message = getattr(chat, f"{which}_messages")[0]
        client = chat.client(viewer)
        # when
        read = client.execute(
            READ, {"conversation": gid(conversation), "message": gid(message)}
        )
        missing = client.execute(
            READ, {"conversation": MISSING_CONVERSATION, "message": MISSING_MESSAGE}
        )
        # then
        if takes_part(viewer):
            data = read["data"]
            assert data["conversation"]["id"] == gid(conversation)
            assert data["conversation"]["messages"]["totalCount"] == len(
                getattr(chat, f"{which}_messages")
            )
            assert data["message"]["body"] == message.body
            assert data["both"] == [{"id": gid(conversation)}, {"id": gid(message)}]
        else:
            assert read == missing
            assert read["data"] == {
                "conversation": None,
                "message": None,
                "both": [None, None],
            }

    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_the_list_holds_the_viewers_conversations_only(self, chat, viewer):
        """conversations: those the viewer takes part in; nothing for the
        others, admins included, and for anonymous clients."""
        page = chat.client(viewer).data(CONVERSATIONS, {"first": 100})
        found = {edge["node"]["id"] for edge in page["conversations"]["edges"]}
        expected = {gid(chat.team), gid(chat.direct)} if takes_part(viewer) else set()
        assert found == expected
        assert page["conversations"]["totalCount"] == len(expected)

    def test_the_colleague_sees_the_group_but_not_the_direct_one(self, chat):
        """Taking part in one conversation opens no other of its participants."""
        assert conversation_ids(chat.client("colleague")) == [gid(chat.team)]
        body = chat.client("colleague").execute(
            READ,
            {"conversation": gid(chat.direct), "message": gid(chat.direct_messages[0])},
        )
        assert body["data"]["conversation"] is None
        assert body["data"]["message"] is None

    def test_a_former_participant_reads_nothing_of_it(self, chat):
        """Rights are checked at each read: removed, the history is gone too."""
        chat.team.participants.filter(user=chat.users["participant"]).delete()
        body = chat.client("participant").execute(
            READ,
            {"conversation": gid(chat.team), "message": gid(chat.team_messages[1])},
        )
        assert body["data"]["conversation"] is None
        assert body["data"]["message"] is None
        assert conversation_ids(chat.client("participant")) == [gid(chat.direct)]

    def test_nothing_of_a_conversation_reaches_an_admin(self, chat):
        """Everything an organisation admin can list shows no title, body or
        participant set of a conversation they are not in."""
        client = chat.client("admin")
        text = str(client.data(CONVERSATIONS, {"first": 100}))
        assert "Marché de Noël" not in text
        assert "vin chaud" not in text


# --- Mutations ---------------------------------------------------------------

PAYLOAD_FIELD = {
    "send": "sendMessage",
    "edit": "editMessage",
    "delete": "deleteMessage",
    "read": "markConversationRead",
    "typing": "sendTyping",
    "add": "addConversationParticipants",
    "remove": "removeConversationParticipant",
    "leave": "leaveConversation",
}
QUERY = {
    "send": SEND,
    "edit": EDIT,
    "delete": DELETE,
    "read": MARK_READ,
    "typing": TYPING,
    "add": ADD,
    "remove": REMOVE,
    "leave": LEAVE,
}
# Who may do each on the team conversation (a creator's message for edit/delete).
ALLOWED = {
    "send": PARTICIPANTS,
    "edit": ("creator",),
    "delete": ("creator",),
    "read": PARTICIPANTS,
    "typing": PARTICIPANTS,
    "add": PARTICIPANTS,
    "remove": ("creator",),
    "leave": PARTICIPANTS,
}


def mutation_input(chat: Chat, mutation: str, conversation: str, message: str):
    """The input of `mutation` on the (global) IDs given."""
    return {
        "send": {"conversationId": conversation, "body": "Coucou", "clientId": "k1"},
        "edit": {"messageId": message, "body": "Corrigé"},
        "delete": {"messageId": message},
        "read": {"conversationId": conversation, "messageId": message},
        "typing": {"conversationId": conversation},
        "add": {
            "conversationId": conversation,
            "userIds": [gid(chat.users["outsider"])],
        },
        "remove": {
            "conversationId": conversation,
            "userId": gid(chat.users["colleague"]),
        },
        "leave": {"conversationId": conversation},
    }[mutation]


def run(chat: Chat, viewer: str, mutation: str, conversation: str, message: str):
    return chat.client(viewer).execute(
        QUERY[mutation],
        {"input": mutation_input(chat, mutation, conversation, message)},
    )


def snapshot() -> tuple:
    """Everything chat keeps, to check that a refused mutation changed nothing."""
    return (
        sorted(Conversation.objects.values_list("pk", "last_sequence", "updated_at")),
        sorted(
            Message.objects.values_list("pk", "body", "edited_at", "deleted_at"),
            key=str,
        ),
        sorted(
            Participant.objects.values_list(
                "conversation_id", "user_id", "last_read_sequence"
            )
        ),
    )


class TestMutations:
    @pytest.mark.parametrize("mutation", list(PAYLOAD_FIELD))
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_each_mutation_follows_the_rules(self, chat, viewer, mutation):
        """Anonymous clients are UNAUTHENTICATED; outsiders and admins get
        exactly the payload of a missing conversation or message and change
        nothing; participants are allowed or FORBIDDEN as the rules say."""
        # given
        team, message = gid(chat.team), gid(chat.team_messages[0])
        before = snapshot()
        # when
        body = run(chat, viewer, mutation, team, message)
        # then
        if viewer == "anonymous":
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert snapshot() == before
            return
        payload = body["data"][PAYLOAD_FIELD[mutation]]
        if not takes_part(viewer):
            missing = run(chat, viewer, mutation, MISSING_CONVERSATION, MISSING_MESSAGE)
            assert payload == missing["data"][PAYLOAD_FIELD[mutation]]
            assert payload["errors"][0]["code"] == "NOT_FOUND"
            assert snapshot() == before
        elif viewer in ALLOWED[mutation]:
            assert payload["errors"] == []
            assert snapshot() != before or mutation in ("typing", "read")
        else:
            assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
            assert snapshot() == before

    @pytest.mark.parametrize("viewer", ["outsider", "admin"])
    def test_starting_with_participants_does_not_reach_their_direct_one(
        self, chat, viewer
    ):
        """Starting a conversation with the two people of a direct conversation
        makes a new group conversation, never theirs."""
        client = chat.client(viewer)
        payload = client.data(
            """
            mutation Start($input: StartConversationInput!) {
              startConversation(input: $input) {
                conversation { id kind } errors { code }
              }
            }
            """,
            {
                "input": {
                    "participantIds": [
                        gid(chat.users["creator"]),
                        gid(chat.users["participant"]),
                    ]
                }
            },
        )["startConversation"]
        assert payload["conversation"]["kind"] == "GROUP"
        assert payload["conversation"]["id"] not in (gid(chat.direct), gid(chat.team))

    def test_a_message_id_of_another_conversation_is_the_same_as_a_missing_one(
        self, chat
    ):
        """The colleague names a message of the direct conversation they are not
        in: the very same refusal as for a message that does not exist."""
        client = chat.client("colleague")
        for mutation in ("edit", "delete", "read"):
            hidden = run(
                chat,
                "colleague",
                mutation,
                gid(chat.team),
                gid(chat.direct_messages[0]),
            )
            missing = run(chat, "colleague", mutation, gid(chat.team), MISSING_MESSAGE)
            assert hidden == missing, mutation
        assert client is not None

    def test_ids_of_another_type_are_not_found(self, chat):
        """A user's ID as conversationId is NOT_FOUND, like a missing one."""
        user = gid(chat.users["creator"])
        body = run(chat, "creator", "send", user, gid(chat.team_messages[0]))
        payload = body["data"]["sendMessage"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("conversationId", "NOT_FOUND")
        ]


# --- Search ------------------------------------------------------------------

SEARCH = (
    MESSAGE_FIELDS
    + """
query Search($query: String!, $types: [SearchType!]) {
  search(query: $query, first: 20, types: $types) {
    totalCount
    edges { snippet node { __typename ...MessageFields } }
  }
}
"""
)


def message_hits(chat: Chat, viewer: str, query: str, types=None) -> dict:
    return chat.client(viewer).data(SEARCH, {"query": query, "types": types})["search"]


class TestSearch:
    @pytest.mark.parametrize("viewer", ["outsider", "participant", "creator", "admin"])
    def test_messages_are_found_by_participants_only(self, chat, viewer):
        """A message is found, with a snippet, by the participants of its
        conversation; never by anyone else, admins included, not even counted."""
        # when
        result = message_hits(chat, viewer, "vin chaud")
        typed = message_hits(chat, viewer, "vin chaud", ["MESSAGE"])
        # then
        if takes_part(viewer):
            assert [e["node"]["id"] for e in result["edges"]] == [
                gid(chat.team_messages[0])
            ]
            assert result["edges"][0]["node"]["__typename"] == "Message"
            assert "<mark>" in result["edges"][0]["snippet"]
            assert typed["totalCount"] == 1
        else:
            assert (result["totalCount"], result["edges"]) == (0, [])
            assert (typed["totalCount"], typed["edges"]) == (0, [])

    def test_leaving_takes_messages_out_of_ones_search(self, chat):
        """Found while a participant, not once removed."""
        assert message_hits(chat, "participant", "clés local")["totalCount"] == 1
        assert message_hits(chat, "participant", "après-midi")["totalCount"] == 1
        chat.team.participants.filter(user=chat.users["participant"]).delete()
        assert message_hits(chat, "participant", "après-midi")["totalCount"] == 0
        assert message_hits(chat, "participant", "clés local")["totalCount"] == 1

    def test_edits_and_deletions_reach_the_index(self, chat):
        """An edited message is found by its new words; a deleted one is not
        found at all."""
        client = chat.client("participant")
        message = chat.team_messages[1]
        client.data(
            EDIT, {"input": {"messageId": gid(message), "body": "Je tiens la buvette"}}
        )
        assert message_hits(chat, "creator", "buvette")["totalCount"] == 1
        assert message_hits(chat, "creator", "10 h")["totalCount"] == 0
        client.data(DELETE, {"input": {"messageId": gid(message)}})
        assert message_hits(chat, "creator", "buvette")["totalCount"] == 0

    def test_sent_messages_are_found_at_once(self, chat):
        """sendMessage indexes in its transaction."""
        chat.client("creator").data(
            SEND,
            {"input": {"conversationId": gid(chat.direct), "body": "Réunion chantier"}},
        )
        assert message_hits(chat, "participant", "chantier")["totalCount"] == 1
        assert message_hits(chat, "colleague", "chantier")["totalCount"] == 0
