"""GraphQL types of chat: conversations, messages and read receipts."""

import enum
from collections.abc import Iterable
from datetime import datetime

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graphql_schema import batches
from graphql_schema.batches import on_the_loop
from graphql_schema.chat.loaders import chat_loaders
from graphql_schema.context import Info
from graphql_schema.relay import NODE_ID_ATTR, Connection
from graphql_schema.users.types import User
from social import access
from social.models import Conversation as ConversationModel
from social.models import ConversationKind as ConversationKindChoices
from social.models import Message as MessageModel
from social.models import Participant

ConversationKind = strawberry.enum(
    enum.Enum(
        "ConversationKind",
        {value: value for value in ConversationKindChoices.values},
        type=str,
    ),
    name="ConversationKind",
    description="DIRECT: between two people, one conversation per pair. GROUP: "
    "participants come and go.",
)


@strawberry_django.type(
    MessageModel,
    name="Message",
    description="A message of a conversation. A deleted one stays as a tombstone: "
    "`isDeleted`, an empty body, its author and times.",
)
class Message(relay.Node):
    _id_attr = NODE_ID_ATTR
    sequence: int = strawberry_django.field(
        description="Its place in the conversation: 1, 2, 3... without gaps."
    )
    body: str = strawberry_django.field(
        description="The text, in Markdown; empty once deleted."
    )
    body_html: str = strawberry_django.field(
        description="The body rendered to sanitised HTML; empty once deleted."
    )
    created_at: datetime
    edited_at: datetime | None = strawberry_django.field(
        description="When its author last changed it; null if never."
    )
    deleted_at: datetime | None = strawberry_django.field(
        description="When its author deleted it; null if not deleted."
    )

    @strawberry_django.field(only=["deleted_at"], description="Deleted by its author.")
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @strawberry_django.field(
        only=["author", "client_id"],
        description="The id the sending device chose (sendMessage is idempotent "
        "on it): shown to the author only, null for the others.",
    )
    def client_id(self, info: Info) -> str | None:
        if not access.can_edit_message(info.context.viewer, self):
            return None
        return self.client_id

    @strawberry_django.field(
        only=["author"],
        description="Who wrote it; null when the viewer may not see that person "
        "(a deactivated account, for agents).",
    )
    async def author(self, info: Info) -> User | None:
        return await info.context.loaders.users_by_id.load(self.author_id)

    @strawberry_django.field(only=["conversation"], description="Its conversation.")
    async def conversation(self, info: Info) -> "Conversation":
        loader = chat_loaders(info).conversations_by_id
        return await loader.load(self.conversation_id)

    @strawberry_django.field(
        only=["author", "deleted_at"],
        description="Whether the viewer may edit it: its author, until deleted.",
    )
    def viewer_can_edit(self, info: Info) -> bool:
        return self.deleted_at is None and access.can_edit_message(
            info.context.viewer, self
        )

    @strawberry_django.field(
        only=["author", "deleted_at"],
        description="Whether the viewer may delete it: its author, until deleted.",
    )
    def viewer_can_delete(self, info: Info) -> bool:
        return self.deleted_at is None and access.can_delete_message(
            info.context.viewer, self
        )

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.message_visible_to(info.context.viewer, queryset)


@strawberry.type(
    name="ReadReceipt",
    description="How far one participant has read a conversation.",
)
class ReadReceipt:
    participant: strawberry.Private[Participant]

    @strawberry.field(description="The participant.")
    def user(self) -> User:
        return self.participant.user

    @strawberry.field(
        description="The latest message they have read; null if none yet."
    )
    async def last_read_message(self, info: Info) -> Message | None:
        sequence = self.participant.last_read_sequence
        if sequence == 0:
            return None
        loader = chat_loaders(info).messages_by_sequence
        return await loader.load((self.participant.conversation_id, sequence))

    @strawberry.field(
        description="When they last marked it read (or sent to it); null if never."
    )
    def read_at(self) -> datetime | None:
        return self.participant.last_read_at


async def _participants(info: Info, conversation_id: int) -> list[Participant]:
    loader = chat_loaders(info).participants_by_conversation
    return await loader.load(conversation_id)


async def _participation(info: Info, conversation_id: int) -> Participant | None:
    viewer = info.context.viewer
    for participant in await _participants(info, conversation_id):
        if participant.user_id == viewer.pk:
            return participant
    return None


@strawberry_django.type(
    ConversationModel,
    name="Conversation",
    description="A direct or group conversation, seen by its current participants "
    "only: for anyone else it does not exist.",
)
class Conversation(relay.Node):
    _id_attr = NODE_ID_ATTR
    kind: ConversationKind
    created_at: datetime
    updated_at: datetime = strawberry_django.field(
        description="Its last activity: when it started, or its latest message."
    )

    @strawberry_django.field(
        only=["title"],
        description="The title of a group conversation; null when it has none "
        "(and for a direct one).",
    )
    def title(self) -> str | None:
        return self.title or None

    @strawberry_django.field(
        only=["created_by"],
        description="Who started it; null when the viewer may not see that person.",
    )
    async def created_by(self, info: Info) -> User | None:
        if self.created_by_id is None:
            return None
        return await info.context.loaders.users_by_id.load(self.created_by_id)

    @strawberry_django.field(
        only=[],
        description="Who takes part in it now, the viewer included, in the order "
        "they joined (at most 50).",
    )
    async def participants(self, info: Info) -> list[User]:
        return [participant.user for participant in await _participants(info, self.pk)]

    @strawberry_django.field(
        only=[],
        description="How far each participant has read it, the viewer included.",
    )
    async def read_receipts(self, info: Info) -> list[ReadReceipt]:
        return [
            ReadReceipt(participant=participant)
            for participant in await _participants(info, self.pk)
        ]

    @strawberry_django.field(only=[], description="Its latest message; null if none.")
    async def last_message(self, info: Info) -> Message | None:
        return await chat_loaders(info).last_messages_by_conversation.load(self.pk)

    @strawberry_django.field(
        only=[],
        description="How many messages of others, not deleted, came after the "
        "viewer's read receipt.",
    )
    async def unread_count(self, info: Info) -> int:
        return await chat_loaders(info).unread_counts_by_conversation.load(self.pk)

    @strawberry_django.connection(
        Connection[Message],
        description="Its messages, oldest first by sequence: `last: 20` for the "
        "latest ones, `before` for older, `after: <cursor>` for what came since "
        "(no gap, no repeat while messages are being sent). In a list of "
        "conversations, every conversation's page is read in one query.",
    )
    @on_the_loop
    def messages(self, info: Info) -> Iterable[MessageModel]:
        def messages_of(conversations: Iterable[int]) -> QuerySet[MessageModel]:
            return (
                access.message_visible_to(info.context.viewer)
                .filter(conversation_id__in=conversations)
                .order_by("sequence")
            )

        return batches.connection_nodes(info, self, "conversation_id", messages_of)

    @strawberry_django.field(
        only=["kind"],
        description="Whether the viewer may add people: any participant of a "
        "group conversation.",
    )
    async def viewer_can_add_participants(self, info: Info) -> bool:
        participation = await _participation(info, self.pk)
        return access.can_add_participants(info.context.viewer, self, participation)

    @strawberry_django.field(
        only=["kind", "created_by"],
        description="Whether the viewer may remove others: the creator of a group "
        "conversation, while in it.",
    )
    async def viewer_can_remove_participants(self, info: Info) -> bool:
        participation = await _participation(info, self.pk)
        return access.can_remove_others(info.context.viewer, self, participation)

    @strawberry_django.field(
        only=["kind"],
        description="Whether the viewer may leave it: a group conversation.",
    )
    async def viewer_can_leave(self, info: Info) -> bool:
        participation = await _participation(info, self.pk)
        return access.can_leave_conversation(info.context.viewer, self, participation)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.conversation_visible_to(info.context.viewer, queryset)
