"""The events subscriptions deliver."""

import enum

import strawberry
from strawberry import relay

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
        if self.message.get("actor") is None:
            return None
        actor = await snapshots.actor(self.message)
        if actor is None or not access.can_see_user(info.context.viewer, actor):
            return None
        return actor
