"""Chat rules and actions: social.access ("Chat") and the events each action
publishes through social.events, after commit only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social import access, events
from social.actions import chat as actions
from social.errors import DomainError, DomainErrors
from social.models import ConversationKind, Participant, Role, direct_key
from tests.api.test_chat import Chat, build_chat, send, start
from tests.conftest import make_user


@pytest.fixture
def chat(db) -> Chat:
    return build_chat()


@pytest.fixture
def published(monkeypatch, django_capture_on_commit_callbacks):
    """The (audience, message) pairs sent once the actions' transactions commit."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        events, "_send", lambda audience, message: sent.append((audience, message))
    )

    class Recorder:
        messages = sent

        def __call__(self, action, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return action(**kwargs)

    return Recorder()


def summary(sent: list[tuple[str, dict]]) -> list[tuple]:
    return [
        (audience, message["type"], message.get("kind"), message.get("actor"))
        for audience, message in sent
    ]


# --- Rules -------------------------------------------------------------------


class TestAccess:
    def test_conversations_are_visible_to_their_participants_only(self, chat):
        """Participants see theirs; an outsider and an organisation admin none."""
        users = chat.users
        assert set(access.conversation_visible_to(users["creator"])) == {
            chat.team,
            chat.direct,
        }
        assert set(access.conversation_visible_to(users["colleague"])) == {chat.team}
        assert not access.conversation_visible_to(users["outsider"]).exists()
        assert not access.conversation_visible_to(users["admin"]).exists()
        assert not access.message_visible_to(users["admin"]).exists()
        assert not access.participant_visible_to(users["admin"]).exists()

    def test_a_deactivated_participant_sees_nothing(self, chat):
        """Visibility needs an active, signed-in user."""
        user = chat.users["participant"]
        user.is_active = False
        assert not access.conversation_visible_to(user).exists()

    @pytest.mark.parametrize(
        ("viewer", "add", "remove_others", "leave"),
        [
            ("creator", True, True, True),
            ("participant", True, False, True),
            ("outsider", False, False, False),
            ("admin", False, False, False),
        ],
    )
    def test_who_manages_a_group_conversation(
        self, chat, viewer, add, remove_others, leave
    ):
        """Participants add and leave; the creator removes others."""
        user = chat.users[viewer]
        participation = access.participation_of(user, chat.team.pk)
        assert access.can_add_participants(user, chat.team, participation) is add
        assert access.can_remove_others(user, chat.team, participation) is remove_others
        assert access.can_leave_conversation(user, chat.team, participation) is leave
        assert access.can_remove_participant(
            user, chat.team, participation, user.pk
        ) is (leave)

    def test_nobody_manages_a_direct_conversation(self, chat):
        for name in ("creator", "participant"):
            user = chat.users[name]
            participation = access.participation_of(user, chat.direct.pk)
            assert not access.can_add_participants(user, chat.direct, participation)
            assert not access.can_leave_conversation(user, chat.direct, participation)
            assert not access.can_remove_others(user, chat.direct, participation)

    def test_only_the_author_edits_and_deletes(self, chat):
        message = chat.team_messages[0]
        for name, allowed in [
            ("creator", True),
            ("participant", False),
            ("admin", False),
        ]:
            user = chat.users[name]
            assert access.can_edit_message(user, message) is allowed
            assert access.can_delete_message(user, message) is allowed

    def test_the_direct_key_is_the_same_from_both_sides(self):
        assert direct_key(7, 3) == direct_key(3, 7) == "3:7"


# --- Actions and their events -----------------------------------------------


class TestEvents:
    def test_a_new_conversation_reaches_each_participant(self, chat, published):
        """CONVERSATION_STARTED to each participant's own audience, after a
        rights refresh; nothing to the conversation's audience yet."""
        users = chat.users
        started = published(
            actions.conversation_start,
            actor=users["outsider"],
            participant_ids=[users["colleague"].pk, users["admin"].pk],
        )
        assert started.created
        people = sorted(
            u.pk for u in (users["outsider"], users["colleague"], users["admin"])
        )
        rights = [(f"user.{pk}", events.RIGHTS, None, None) for pk in people]
        started_events = [
            (f"user.{pk}", events.EVENT, "CONVERSATION_STARTED", users["outsider"].pk)
            for pk in people
        ]
        assert summary(published.messages) == rights + started_events
        assert all(
            m["conversation"] == started.conversation.pk
            for _, m in published.messages
            if m["type"] == events.EVENT
        )

    def test_an_existing_direct_conversation_publishes_nothing(self, chat, published):
        started = published(
            actions.conversation_start,
            actor=chat.users["participant"],
            participant_ids=[chat.users["creator"].pk],
        )
        assert (started.conversation, started.created) == (chat.direct, False)
        assert published.messages == []

    def test_a_message_is_announced_once_with_its_sequence(self, chat, published):
        """MESSAGE_SENT to the conversation with the message's id and sequence;
        a retry of the same clientId publishes nothing more."""
        actor = chat.users["participant"]
        kwargs = {
            "actor": actor,
            "conversation_id": chat.team.pk,
            "body": "Bien reçu",
            "client_id": "once",
        }
        message = published(actions.message_send, **kwargs)
        again = published(actions.message_send, **kwargs)
        assert again == message
        [(audience, sent)] = published.messages
        assert audience == f"chat.{chat.team.pk}"
        assert (sent["kind"], sent["message"], sent["sequence"], sent["actor"]) == (
            "MESSAGE_SENT",
            message.pk,
            4,
            actor.pk,
        )

    @pytest.mark.parametrize(
        ("action", "kwargs", "kind"),
        [
            (actions.message_edit, {"body": "Qui tient le stand ?"}, "MESSAGE_EDITED"),
            (actions.message_delete, {}, "MESSAGE_DELETED"),
        ],
    )
    def test_edits_and_deletions_are_announced(
        self, chat, published, action, kwargs, kind
    ):
        message = chat.team_messages[0]
        published(action, actor=chat.users["creator"], message_id=message.pk, **kwargs)
        [(audience, sent)] = published.messages
        assert audience == f"chat.{chat.team.pk}"
        assert (sent["kind"], sent["message"], sent["sequence"]) == (
            kind,
            message.pk,
            1,
        )

    def test_reading_is_announced_when_the_receipt_moves(self, chat, published):
        """READ with the message read up to; marking it again publishes nothing."""
        actor = chat.users["creator"]
        published(
            actions.conversation_mark_read, actor=actor, conversation_id=chat.team.pk
        )
        published(
            actions.conversation_mark_read, actor=actor, conversation_id=chat.team.pk
        )
        [(audience, sent)] = published.messages
        assert (audience, sent["kind"], sent["sequence"], sent["actor"]) == (
            f"chat.{chat.team.pk}",
            "READ",
            3,
            actor.pk,
        )
        assert sent["message"] == chat.team_messages[2].pk

    def test_typing_is_announced_and_not_stored(self, chat, published):
        """TYPING to the conversation; one read, no write."""
        actor = chat.users["colleague"]
        with CaptureQueriesContext(connection) as queries:
            published(actions.typing_send, actor=actor, conversation_id=chat.team.pk)
        assert summary(published.messages) == [
            (f"chat.{chat.team.pk}", events.EVENT, "TYPING", actor.pk)
        ]
        statements = [q["sql"].split()[0].upper() for q in queries]
        assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == [
            "SELECT"
        ]

    def test_added_people_are_told_and_the_others_are_not(self, chat, published):
        users = chat.users
        published(
            actions.conversation_add_participants,
            actor=users["participant"],
            conversation_id=chat.team.pk,
            user_ids=[users["outsider"].pk, users["colleague"].pk],
        )
        assert summary(published.messages) == [
            (f"user.{users['outsider'].pk}", events.RIGHTS, None, None),
            (
                f"user.{users['outsider'].pk}",
                events.EVENT,
                "CONVERSATION_STARTED",
                users["participant"].pk,
            ),
        ]

    @pytest.mark.parametrize("how", ["removed", "left"])
    def test_who_goes_has_their_rights_refreshed(self, chat, published, how):
        """Removed or leaving, their connections re-read their rights at once."""
        gone = chat.users["colleague"]
        if how == "removed":
            published(
                actions.conversation_remove_participant,
                actor=chat.users["creator"],
                conversation_id=chat.team.pk,
                user_id=gone.pk,
            )
        else:
            published(
                actions.conversation_leave, actor=gone, conversation_id=chat.team.pk
            )
        assert summary(published.messages) == [
            (f"user.{gone.pk}", events.RIGHTS, None, None)
        ]
        assert not Participant.objects.filter(
            conversation=chat.team, user=gone
        ).exists()

    @pytest.mark.parametrize(
        ("action", "kwargs"),
        [
            (actions.message_send, {"conversation_id": "team", "body": " "}),
            (actions.message_send, {"conversation_id": "direct", "body": "Salut"}),
            (actions.message_edit, {"message_id": "first", "body": "Non"}),
            (actions.conversation_leave, {"conversation_id": "direct"}),
            (actions.typing_send, {"conversation_id": "direct"}),
        ],
    )
    def test_a_refused_action_publishes_nothing(self, chat, published, action, kwargs):
        """Blank bodies, other people's conversations and messages, a direct
        conversation left: refused, and no event leaves."""
        ids = {
            "team": chat.team.pk,
            "direct": chat.direct.pk,
            "first": chat.team_messages[0].pk,
        }
        with pytest.raises((DomainError, DomainErrors)):
            published(
                action,
                actor=chat.users["colleague"],
                **{k: ids.get(v, v) for k, v in kwargs.items()},
            )
        assert published.messages == []

    def test_an_action_rolled_back_by_its_caller_publishes_nothing(
        self, chat, published
    ):
        """Events leave on commit: a send inside a transaction that fails sends
        nothing."""
        from django.db import transaction

        class Abort(Exception):
            pass

        def send_then_fail():
            with transaction.atomic():
                send(chat.users["creator"], chat.team, "Brouillon")
                raise Abort

        with pytest.raises(Abort):
            published(send_then_fail)
        assert published.messages == []


class TestStart:
    def test_kind_is_inferred(self, chat):
        users = chat.users
        direct = start(users["outsider"], users["colleague"])
        group = start(users["outsider"], users["colleague"], title="Covoiturage")
        assert (direct.kind, direct.direct_key) == (
            ConversationKind.DIRECT,
            direct_key(users["outsider"].pk, users["colleague"].pk),
        )
        assert (group.kind, group.direct_key) == (ConversationKind.GROUP, None)

    def test_naming_oneself_among_others_is_ignored(self, chat):
        users = chat.users
        conversation = start(users["outsider"], users["outsider"], users["colleague"])
        assert conversation.kind == ConversationKind.DIRECT
        assert conversation.participants.count() == 2

    def test_an_admin_starts_conversations_like_anyone(self, chat):
        """Being an organisation admin opens no conversation and gives no more."""
        boss = make_user("maire", role=Role.ADMIN)
        conversation = start(boss, chat.users["creator"])
        assert conversation != chat.direct
        assert set(access.conversation_visible_to(boss)) == {conversation}
