"""Mutations on chat: conversations, participants, messages, read state, typing."""

import strawberry
from strawberry import relay

from graphql_schema.chat.types import Conversation, ConversationKind, Message
from graphql_schema.context import Info
from graphql_schema.errors import UserError, perform, signed_in_viewer
from graphql_schema.ids import pk_of
from social.actions.chat import (
    conversation_add_participants,
    conversation_leave,
    conversation_mark_read,
    conversation_remove_participant,
    conversation_start,
    message_delete,
    message_edit,
    message_send,
    typing_send,
)

# Global IDs are decoded inside the action's call (`perform`), so that an ID of
# the wrong type is a NOT_FOUND in the payload, like a missing object.


def _pks(values: list[relay.GlobalID], field: str) -> list[int]:
    return [
        pk_of(value, "User", f"{field}.{index}") for index, value in enumerate(values)
    ]


def _conversation_pk(value: relay.GlobalID) -> int:
    return pk_of(value, "Conversation", "conversationId")


def _message_pk(value: relay.GlobalID) -> int:
    return pk_of(value, "Message", "messageId")


@strawberry.input
class StartConversationInput:
    participant_ids: list[relay.GlobalID] = strawberry.field(
        description="The other people (the viewer is always in it; at most 50 in all)."
    )
    title: str | None = strawberry.field(
        default=None, description="A group conversation's title (100 characters)."
    )
    kind: ConversationKind | None = strawberry.field(
        default=None,
        description="Left out: DIRECT with one other person and no title, GROUP "
        "otherwise. GROUP makes a group conversation of two.",
    )


@strawberry.type
class StartConversationPayload:
    conversation: Conversation | None
    created: bool = strawberry.field(
        description="False when the direct conversation existed already."
    )
    errors: list[UserError]


@strawberry.input
class AddConversationParticipantsInput:
    conversation_id: relay.GlobalID
    user_ids: list[relay.GlobalID]


@strawberry.type
class AddConversationParticipantsPayload:
    conversation: Conversation | None
    errors: list[UserError]


@strawberry.input
class RemoveConversationParticipantInput:
    conversation_id: relay.GlobalID
    user_id: relay.GlobalID


@strawberry.type
class RemoveConversationParticipantPayload:
    conversation: Conversation | None = strawberry.field(
        description="The conversation, as the viewer now sees it: null if they "
        "removed themselves."
    )
    errors: list[UserError]


@strawberry.input
class LeaveConversationInput:
    conversation_id: relay.GlobalID


@strawberry.type
class LeaveConversationPayload:
    conversation_id: relay.GlobalID | None = strawberry.field(
        description="The ID of the conversation left (no longer visible)."
    )
    errors: list[UserError]


@strawberry.input
class SendMessageInput:
    conversation_id: relay.GlobalID
    body: str = strawberry.field(description="Markdown, at most 5,000 characters.")
    client_id: str | None = strawberry.field(
        default=None,
        description="Chosen by the device (a UUID), at most 64 characters: a "
        "retry with the same one returns the first message, never a duplicate.",
    )


@strawberry.type
class SendMessagePayload:
    message: Message | None
    errors: list[UserError]


@strawberry.input
class EditMessageInput:
    message_id: relay.GlobalID
    body: str = strawberry.field(description="Markdown, at most 5,000 characters.")


@strawberry.type
class EditMessagePayload:
    message: Message | None
    errors: list[UserError]


@strawberry.input
class DeleteMessageInput:
    message_id: relay.GlobalID


@strawberry.type
class DeleteMessagePayload:
    message: Message | None = strawberry.field(description="The tombstone left.")
    errors: list[UserError]


@strawberry.input
class MarkConversationReadInput:
    conversation_id: relay.GlobalID
    message_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Read up to this message; left out, up to the latest.",
    )


@strawberry.type
class MarkConversationReadPayload:
    conversation: Conversation | None
    errors: list[UserError]


@strawberry.input
class SendTypingInput:
    conversation_id: relay.GlobalID


@strawberry.type
class SendTypingPayload:
    conversation: Conversation | None
    errors: list[UserError]


@strawberry.type
class ChatMutations:
    @strawberry.mutation(
        description="Start a conversation with colleagues; a direct one that "
        "exists already is returned as it is (`created: false`)."
    )
    async def start_conversation(
        self, info: Info, input: StartConversationInput
    ) -> StartConversationPayload:
        viewer = signed_in_viewer(info)
        started, errors = await perform(
            lambda: conversation_start(
                actor=viewer,
                participant_ids=_pks(input.participant_ids, "participantIds"),
                title=input.title,
                kind=None if input.kind is None else input.kind.value,
            )
        )
        if errors:
            return StartConversationPayload(
                conversation=None, created=False, errors=errors
            )
        return StartConversationPayload(
            conversation=started.conversation, created=started.created, errors=[]
        )

    @strawberry.mutation(
        description="Add colleagues to a group conversation (any participant)."
    )
    async def add_conversation_participants(
        self, info: Info, input: AddConversationParticipantsInput
    ) -> AddConversationParticipantsPayload:
        viewer = signed_in_viewer(info)
        conversation, errors = await perform(
            lambda: conversation_add_participants(
                actor=viewer,
                conversation_id=_conversation_pk(input.conversation_id),
                user_ids=_pks(input.user_ids, "userIds"),
            )
        )
        return AddConversationParticipantsPayload(
            conversation=conversation, errors=errors
        )

    @strawberry.mutation(
        description="Remove someone from a group conversation: its creator "
        "removes anyone, anyone removes themselves."
    )
    async def remove_conversation_participant(
        self, info: Info, input: RemoveConversationParticipantInput
    ) -> RemoveConversationParticipantPayload:
        viewer = signed_in_viewer(info)
        conversation, errors = await perform(
            lambda: conversation_remove_participant(
                actor=viewer,
                conversation_id=_conversation_pk(input.conversation_id),
                user_id=pk_of(input.user_id, "User", "userId"),
            )
        )
        if conversation is not None and input.user_id.node_id == str(viewer.pk):
            # The viewer removed themselves: it no longer exists for them.
            conversation = None
        return RemoveConversationParticipantPayload(
            conversation=conversation, errors=errors
        )

    @strawberry.mutation(
        description="Leave a group conversation: it and its history are gone "
        "for the viewer. A direct conversation is not left."
    )
    async def leave_conversation(
        self, info: Info, input: LeaveConversationInput
    ) -> LeaveConversationPayload:
        viewer = signed_in_viewer(info)
        _, errors = await perform(
            lambda: conversation_leave(
                actor=viewer, conversation_id=_conversation_pk(input.conversation_id)
            )
        )
        return LeaveConversationPayload(
            conversation_id=None if errors else input.conversation_id, errors=errors
        )

    @strawberry.mutation(
        description="Send a message; idempotent on `clientId` (a retry returns "
        "the first message; the same clientId for another message is CONFLICT)."
    )
    async def send_message(
        self, info: Info, input: SendMessageInput
    ) -> SendMessagePayload:
        viewer = signed_in_viewer(info)
        message, errors = await perform(
            lambda: message_send(
                actor=viewer,
                conversation_id=_conversation_pk(input.conversation_id),
                body=input.body,
                client_id=input.client_id,
            )
        )
        return SendMessagePayload(message=message, errors=errors)

    @strawberry.mutation(description="Change the body of one's own message.")
    async def edit_message(
        self, info: Info, input: EditMessageInput
    ) -> EditMessagePayload:
        viewer = signed_in_viewer(info)
        message, errors = await perform(
            lambda: message_edit(
                actor=viewer, message_id=_message_pk(input.message_id), body=input.body
            )
        )
        return EditMessagePayload(message=message, errors=errors)

    @strawberry.mutation(
        description="Delete one's own message; a tombstone stays in its place."
    )
    async def delete_message(
        self, info: Info, input: DeleteMessageInput
    ) -> DeleteMessagePayload:
        viewer = signed_in_viewer(info)
        message, errors = await perform(
            lambda: message_delete(
                actor=viewer, message_id=_message_pk(input.message_id)
            )
        )
        return DeleteMessagePayload(message=message, errors=errors)

    @strawberry.mutation(
        description="Mark a conversation read up to a message (default: the "
        "latest); a read receipt never moves back."
    )
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> MarkConversationReadPayload:
        viewer = signed_in_viewer(info)
        conversation, errors = await perform(
            lambda: conversation_mark_read(
                actor=viewer,
                conversation_id=_conversation_pk(input.conversation_id),
                message_id=None
                if input.message_id is None
                else _message_pk(input.message_id),
            )
        )
        return MarkConversationReadPayload(conversation=conversation, errors=errors)

    @strawberry.mutation(
        description="Tell the other participants one is typing (a live event; "
        "nothing is stored)."
    )
    async def send_typing(
        self, info: Info, input: SendTypingInput
    ) -> SendTypingPayload:
        viewer = signed_in_viewer(info)
        conversation, errors = await perform(
            lambda: typing_send(
                actor=viewer, conversation_id=_conversation_pk(input.conversation_id)
            )
        )
        return SendTypingPayload(conversation=conversation, errors=errors)
