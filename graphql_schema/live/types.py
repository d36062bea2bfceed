"""The events subscriptions deliver."""

import enum

import strawberry
from strawberry import relay

from graphql_schema.chat.types import Conversation, Message
from graphql_schema.context import Info
from graphql_schema.live.snapshots import snapshots
from graphql_schema.posts.types import Comment, Post
from graphql_schema.users.types import User
from social import access


@strawberry.enum(description="What happened in a feed.")
class FeedEventKind(enum.Enum):
    POST_CREATED = "POST_CREATED"
    POST_UPDATED = "POST_UPDATED"
    POST_DELETED = "POST_DELETED"
    COMMENT_ADDED = "COMMENT_ADDED"
    COMMENT_UPDATED = "COMMENT_UPDATED"
    COMMENT_DELETED = "COMMENT_DELETED"
    REACTIONS_CHANGED = "REACTIONS_CHANGED"
    POLL_UPDATED = "POLL_UPDATED"


FEED_EVENT_KINDS = frozenset(kind.value for kind in FeedEventKind)


def _gid(type_name: str, pk: int | None) -> relay.GlobalID | None:
    return None if pk is None else relay.GlobalID(type_name, str(pk))


@strawberry.type(
    description=(
        "Something happened to a post the viewer may read: a hint to refresh "
        "what is on screen. The queries are the truth: after a reconnection, "
        "catch up with `feed`."
    )
)
class FeedEvent:
    kind: FeedEventKind
    message: strawberry.Private[dict]

    @strawberry.field(description="The post it is about (also when deleted).")
    def post_id(self) -> relay.GlobalID:
        return _gid("Post", self.message["post"])

    @strawberry.field(
        description="The comment it is about (COMMENT_* and the reactions to a "
        "comment), also when deleted; null otherwise."
    )
    def comment_id(self) -> relay.GlobalID | None:
        return _gid("Comment", self.message.get("comment"))

    @strawberry.field(
        description="The post as it is now; null once deleted (POST_DELETED)."
    )
    async def post(self, info: Info) -> Post | None:
        return await snapshots.post(self.message)

    @strawberry.field(
        description="The comment as it is now; null for events about the post "
        "itself and once deleted."
    )
    async def comment(self, info: Info) -> Comment | None:
        if self.message.get("comment") is None:
            return None
        return await snapshots.comment(self.message)

    @strawberry.field(
        description="Who did it; null when the viewer may not see that person, "
        "and for votes (a ballot is never linked to its voter)."
    )
    async def actor(self, info: Info) -> User | None:
        return await _actor(info, self.message)


async def _actor(info: Info, message: dict):
    """The event's actor, if the viewer may see them (shared across subscribers)."""
    if message.get("actor") is None:
        return None
    actor = await snapshots.actor(message)
    if actor is None or not access.can_see_user(info.context.viewer, actor):
        return None
    return actor


@strawberry.enum(description="What happened in a conversation.")
class ChatEventKind(enum.Enum):
    MESSAGE_SENT = "MESSAGE_SENT"
    MESSAGE_EDITED = "MESSAGE_EDITED"
    MESSAGE_DELETED = "MESSAGE_DELETED"
    TYPING = "TYPING"
    READ = "READ"
    CONVERSATION_STARTED = "CONVERSATION_STARTED"


CHAT_EVENT_KINDS = frozenset(kind.value for kind in ChatEventKind)


@strawberry.type(
    description=(
        "Something happened in one of the viewer's conversations: a hint. After "
        "a reconnection, catch up with `messages(after: <last cursor>)`."
    )
)
class ChatEvent:
    kind: ChatEventKind
    message_data: strawberry.Private[dict]

    @strawberry.field(description="The conversation it happened in.")
    async def conversation(self, info: Info) -> Conversation | None:
        return await snapshots.conversation(self.message_data)

    @strawberry.field(
        description="The message sent, edited or deleted (a tombstone), or read "
        "up to (READ); null for TYPING and CONVERSATION_STARTED."
    )
    async def message(self, info: Info) -> Message | None:
        if self.message_data.get("message") is None:
            return None
        return await snapshots.message(self.message_data)

    @strawberry.field(
        description="Who sent, edited, deleted, typed, read or started it; null "
        "when the viewer may not see that person."
    )
    async def user(self, info: Info) -> User | None:
        return await _actor(info, self.message_data)
