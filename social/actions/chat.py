"""Writes on chat: conversations, participants, messages, read state, typing.

Every action checks the rules of social.access ("Chat"), writes in its own
transaction and publishes its live event through social.events, which sends it
once the transaction commits. A conversation the actor does not take part in is
NOT_FOUND, with the same message as one that does not exist.
"""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from social import access, events, search
from social.errors import DomainError, DomainErrors, ErrorCode, check_text
from social.markdown import render_markdown
from social.models import (
    Conversation,
    ConversationKind,
    Message,
    Participant,
    User,
    direct_key,
)

# A chat message is short; a long one still fits a pasted procedure.
MESSAGE_BODY_MAX_LENGTH = 5_000
CONVERSATION_TITLE_MAX_LENGTH = 100
# Everyone of a conversation, its creator included.
CONVERSATION_PARTICIPANTS_MAX = 50
CLIENT_ID_MAX_LENGTH = 64

# The live events of a conversation (ChatEvent.kind).
MESSAGE_SENT = "MESSAGE_SENT"
MESSAGE_EDITED = "MESSAGE_EDITED"
MESSAGE_DELETED = "MESSAGE_DELETED"
READ = "READ"
TYPING = "TYPING"


def _no_conversation() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such conversation.", "conversationId")


def _no_message() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such message.", "messageId")


def _locked_conversation(actor: User, conversation_id: int) -> Conversation:
    """The actor's conversation, its row locked until the end of the transaction;
    NOT_FOUND if they do not take part in it (or it does not exist)."""
    conversation = (
        access.conversation_visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise _no_conversation()
    return conversation


def _visible_conversation(actor: User, conversation_id: int) -> Conversation:
    conversation = (
        access.conversation_visible_to(actor).filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise _no_conversation()
    return conversation


def _checked_people(actor: User, user_ids: Sequence[int], field: str) -> list[int]:
    """The distinct ids of the active colleagues named, in order, without the
    actor; all or nothing: anyone unknown (or deactivated) is NOT_FOUND at
    `<field>.<index>`."""
    found = set(
        access.chat_partners_visible_to(actor)
        .filter(pk__in=list(user_ids))
        .values_list("pk", flat=True)
    )
    missing = [
        DomainError(ErrorCode.NOT_FOUND, "No such person.", f"{field}.{index}")
        for index, user_id in enumerate(user_ids)
        if user_id not in found
    ]
    if missing:
        raise DomainErrors(missing)
    return [user_id for user_id in dict.fromkeys(user_ids) if user_id != actor.pk]


def _too_many(field: str) -> DomainError:
    return DomainError(
        ErrorCode.TOO_LONG,
        f"A conversation has at most {CONVERSATION_PARTICIPANTS_MAX} participants.",
        field,
    )


@dataclass(frozen=True)
class Started:
    """What `conversation_start` did: the conversation, and whether it is new."""

    conversation: Conversation
    created: bool


def conversation_start(
    *,
    actor: User,
    participant_ids: Sequence[int],
    title: str | None = None,
    kind: str | None = None,
) -> Started:
    """Start a conversation between the actor and `participant_ids`.

    Without `kind`, it is DIRECT with one other person and no title, GROUP
    otherwise. A DIRECT conversation is unique per pair: the existing one is
    returned (`created` False), even when both start it at the same moment (the
    unique `direct_key` decides; the loser reads the winner's). Locks nothing:
    a new conversation is seen by nobody until it commits.
    """
    errors: list[DomainError] = []
    text = ""
    try:
        text = check_text(
            title,
            field="title",
            max_length=CONVERSATION_TITLE_MAX_LENGTH,
            required=False,
        )
    except DomainError as error:
        errors.append(error)
    if not participant_ids:
        errors.append(
            DomainError(
                ErrorCode.REQUIRED, "Name at least one person.", "participantIds"
            )
        )
    elif len(set(participant_ids) | {actor.pk}) > CONVERSATION_PARTICIPANTS_MAX:
        errors.append(_too_many("participantIds"))
    if errors:
        raise DomainErrors(errors)
    with transaction.atomic():
        others = _checked_people(actor, participant_ids, "participantIds")
        if not others:
            raise DomainError(
                ErrorCode.REQUIRED,
                "Name someone other than yourself.",
                "participantIds",
            )
        if kind is None:
            kind = (
                ConversationKind.DIRECT
                if len(others) == 1 and not text
                else ConversationKind.GROUP
            )
        if kind == ConversationKind.DIRECT:
            if len(others) != 1:
                raise DomainError(
                    ErrorCode.INVALID,
                    "A direct conversation is between two people.",
                    "participantIds",
                )
            if text:
                raise DomainError(
                    ErrorCode.INVALID,
                    "A direct conversation has no title.",
                    "title",
                )
            return _direct(actor, others[0])
        return Started(_create(actor, ConversationKind.GROUP, others, text), True)


def _direct(actor: User, other_id: int) -> Started:
    key = direct_key(actor.pk, other_id)
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing is not None:
        return Started(existing, False)
    try:
        with transaction.atomic():
            conversation = _create(actor, ConversationKind.DIRECT, [other_id], "", key)
    except IntegrityError:
        # Started by the other side (or another device) at the same moment: that
        # one committed first; the savepoint rollback dropped its events too.
        existing = Conversation.objects.filter(direct_key=key).first()
        if existing is None:
            raise
        return Started(existing, False)
    return Started(conversation, True)


def _create(
    actor: User,
    kind: str,
    others: list[int],
    title: str,
    key: str | None = None,
) -> Conversation:
    now = timezone.now()
    conversation = Conversation.objects.create(
        kind=kind,
        title=title,
        created_by=actor,
        updated_at=now,
        direct_key=key,
    )
    people = [actor.pk, *others]
    Participant.objects.bulk_create(
        Participant(conversation=conversation, user_id=user_id, joined_at=now)
        for user_id in people
    )
    events.conversation_started(
        conversation_id=conversation.pk, participant_ids=people, actor_id=actor.pk
    )
    return conversation


def _group_only(conversation: Conversation, message: str, field: str) -> None:
    if conversation.kind != ConversationKind.GROUP:
        raise DomainError(ErrorCode.INVALID, message, field)


def conversation_add_participants(
    *, actor: User, conversation_id: int, user_ids: Sequence[int]
) -> Conversation:
    """Add colleagues to a GROUP conversation the actor takes part in.

    All or nothing (anyone unknown is NOT_FOUND at `userIds.<index>`); those
    already in it stay as they are. The newcomers read the whole history and
    start with nothing unread. Locks the conversation's row, so that two
    additions at once cannot pass the participants' limit.
    """
    if not user_ids:
        raise DomainError(ErrorCode.REQUIRED, "Name at least one person.", "userIds")
    with transaction.atomic():
        conversation = _locked_conversation(actor, conversation_id)
        participation = access.participation_of(actor, conversation.pk)
        _group_only(
            conversation,
            "A direct conversation stays between its two people: start a group.",
            "conversationId",
        )
        if not access.can_add_participants(actor, conversation, participation):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "Only participants add people to a conversation.",
                "conversationId",
            )
        wanted = _checked_people(actor, user_ids, "userIds")
        present = set(
            Participant.objects.filter(conversation=conversation).values_list(
                "user_id", flat=True
            )
        )
        added = [user_id for user_id in wanted if user_id not in present]
        if len(present) + len(added) > CONVERSATION_PARTICIPANTS_MAX:
            raise _too_many("userIds")
        if added:
            now = timezone.now()
            Participant.objects.bulk_create(
                Participant(
                    conversation=conversation,
                    user_id=user_id,
                    joined_at=now,
                    last_read_sequence=conversation.last_sequence,
                )
                for user_id in added
            )
            events.conversation_started(
                conversation_id=conversation.pk,
                participant_ids=added,
                actor_id=actor.pk,
            )
        return conversation


def conversation_remove_participant(
    *, actor: User, conversation_id: int, user_id: int
) -> Conversation:
    """Remove someone from a GROUP conversation: its creator removes anyone,
    anyone removes themselves (as `conversation_leave`).

    The removed person loses the conversation, its history included, at once;
    their connections are told to re-read their rights. Locks the conversation's
    row and the removed participant's.
    """
    with transaction.atomic():
        conversation = _locked_conversation(actor, conversation_id)
        participation = access.participation_of(actor, conversation.pk)
        _group_only(
            conversation,
            "Nobody is removed from a direct conversation.",
            "conversationId",
        )
        if not access.can_remove_participant(
            actor, conversation, participation, user_id
        ):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "Only the conversation's creator removes people from it.",
                "userId",
            )
        target = (
            Participant.objects.select_for_update()
            .filter(conversation=conversation, user_id=user_id)
            .first()
        )
        if target is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such participant.", "userId")
        target.delete()
        events.rights_changed([user_id])
        return conversation


def conversation_leave(*, actor: User, conversation_id: int) -> Conversation:
    """Leave a GROUP conversation; the actor no longer sees it, nor its history.

    A DIRECT conversation is not left (INVALID). The conversation stays for the
    others (and with nobody in it, for nobody). Locks the conversation's row.
    """
    with transaction.atomic():
        conversation = _locked_conversation(actor, conversation_id)
        participation = access.participation_of(actor, conversation.pk)
        _group_only(
            conversation,
            "A direct conversation is not left.",
            "conversationId",
        )
        if not access.can_leave_conversation(actor, conversation, participation):
            raise _no_conversation()
        participation.delete()
        events.rights_changed([actor.pk])
        return conversation


def chat_digest(conversation_id: int, body: str) -> str:
    """What identifies a send: its conversation and body as first sent
    (`Message.client_digest`)."""
    return hashlib.sha256(f"{conversation_id}\n{body}".encode()).hexdigest()


def _retried(existing: Message, conversation_id: int, text: str) -> Message:
    """The first message of a clientId when this send is its retry; CONFLICT
    when the clientId was used for something else."""
    if existing.client_digest != chat_digest(conversation_id, text):
        raise DomainError(
            ErrorCode.CONFLICT,
            "This clientId was already used for another message.",
            "clientId",
        )
    return existing


def message_send(
    *,
    actor: User,
    conversation_id: int,
    body: str,
    client_id: str | None = None,
) -> Message:
    """Send a Markdown message to a conversation the actor takes part in.

    Idempotent on (actor, `client_id`): a retry, even at the same moment, gets
    the first message back, sends nothing and publishes nothing; the same
    `client_id` with another body or conversation is a CONFLICT. Without a
    `client_id` the send is not idempotent (one is made up). The message takes
    the conversation's next sequence, and the sender has read up to it.

    Locks the conversation's row: sends to one conversation are numbered one at
    a time, and a sequence is seen only once every smaller one is committed.
    """
    errors: list[DomainError] = []
    text = ""
    try:
        text = check_text(body, field="body", max_length=MESSAGE_BODY_MAX_LENGTH)
    except DomainError as error:
        errors.append(error)
    if client_id is None:
        client_id = uuid.uuid4().hex
    elif not client_id.strip():
        errors.append(
            DomainError(ErrorCode.REQUIRED, "clientId must not be blank.", "clientId")
        )
    elif len(client_id) > CLIENT_ID_MAX_LENGTH:
        errors.append(
            DomainError(
                ErrorCode.TOO_LONG,
                f"clientId must be at most {CLIENT_ID_MAX_LENGTH} characters long.",
                "clientId",
            )
        )
    with transaction.atomic():
        conversation = _locked_conversation(actor, conversation_id)
        if errors:
            raise DomainErrors(errors)
        existing = Message.objects.filter(author=actor, client_id=client_id).first()
        if existing is not None:
            return _retried(existing, conversation.pk, text)
        sequence = conversation.last_sequence + 1
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    author=actor,
                    sequence=sequence,
                    body=text,
                    body_html=render_markdown(text),
                    client_id=client_id,
                    client_digest=chat_digest(conversation.pk, text),
                )
        except IntegrityError:
            # The same clientId sent at the same moment to another conversation
            # (this one's lock does not order those): the first one won.
            existing = Message.objects.filter(author=actor, client_id=client_id).first()
            if existing is None:
                raise
            return _retried(existing, conversation.pk, text)
        conversation.last_sequence = sequence
        conversation.updated_at = message.created_at
        conversation.save(update_fields=["last_sequence", "updated_at"])
        Participant.objects.filter(conversation=conversation, user_id=actor.pk).update(
            last_read_sequence=sequence, last_read_at=message.created_at
        )
        search.index_message(message)
        events.chat_event(
            MESSAGE_SENT,
            conversation_id=conversation.pk,
            actor_id=actor.pk,
            message_id=message.pk,
            sequence=sequence,
        )
        return message


def _locked_message(actor: User, message_id: int) -> Message:
    message = (
        access.message_visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise _no_message()
    return message


def message_edit(*, actor: User, message_id: int, body: str) -> Message:
    """Change the body of the actor's own message and mark it edited; the same
    body changes nothing. A deleted message is not edited (INVALID).

    Locks the message's row.
    """
    with transaction.atomic():
        message = _locked_message(actor, message_id)
        if not access.can_edit_message(actor, message):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only its author edits a message.", "messageId"
            )
        if message.is_deleted:
            raise DomainError(
                ErrorCode.INVALID, "This message was deleted.", "messageId"
            )
        text = check_text(body, field="body", max_length=MESSAGE_BODY_MAX_LENGTH)
        if text == message.body:
            return message
        message.body = text
        message.body_html = render_markdown(text)
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "body_html", "edited_at"])
        search.index_message(message)
        events.chat_event(
            MESSAGE_EDITED,
            conversation_id=message.conversation_id,
            actor_id=actor.pk,
            message_id=message.pk,
            sequence=message.sequence,
        )
        return message


def message_delete(*, actor: User, message_id: int) -> Message:
    """Delete the actor's own message: it stays as a tombstone (its sequence,
    author and times) with no body. Deleting it again changes nothing.

    Locks the message's row.
    """
    with transaction.atomic():
        message = _locked_message(actor, message_id)
        if not access.can_delete_message(actor, message):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only its author deletes a message.", "messageId"
            )
        if message.is_deleted:
            return message
        message.body = ""
        message.body_html = ""
        message.deleted_at = timezone.now()
        message.save(update_fields=["body", "body_html", "deleted_at"])
        search.unindex_message(message.pk)
        events.chat_event(
            MESSAGE_DELETED,
            conversation_id=message.conversation_id,
            actor_id=actor.pk,
            message_id=message.pk,
            sequence=message.sequence,
        )
        return message


def conversation_mark_read(
    *, actor: User, conversation_id: int, message_id: int | None = None
) -> Conversation:
    """Mark the conversation read up to a message (default: its latest).

    A read receipt only moves forward: marking an older message read changes
    nothing. Locks the actor's participant row.
    """
    with transaction.atomic():
        conversation = _visible_conversation(actor, conversation_id)
        participation = (
            Participant.objects.select_for_update()
            .filter(conversation=conversation, user_id=actor.pk)
            .first()
        )
        if participation is None:
            raise _no_conversation()
        if message_id is None:
            target = (
                Message.objects.filter(conversation=conversation)
                .order_by("-sequence")
                .first()
            )
            if target is None:
                return conversation
        else:
            target = Message.objects.filter(
                conversation=conversation, pk=message_id
            ).first()
            if target is None:
                raise _no_message()
        if target.sequence <= participation.last_read_sequence:
            return conversation
        participation.last_read_sequence = target.sequence
        participation.last_read_at = timezone.now()
        participation.save(update_fields=["last_read_sequence", "last_read_at"])
        events.chat_event(
            READ,
            conversation_id=conversation.pk,
            actor_id=actor.pk,
            message_id=target.pk,
            sequence=target.sequence,
        )
        return conversation


def typing_send(*, actor: User, conversation_id: int) -> Conversation:
    """Tell the other participants the actor is typing; nothing is stored.

    Locks nothing.
    """
    with transaction.atomic():
        conversation = _visible_conversation(actor, conversation_id)
        events.chat_event(TYPING, conversation_id=conversation.pk, actor_id=actor.pk)
        return conversation
