"""Subscriptions to the feed and to polls (issue 6).

Each subscription listens to audiences (social.events) and lets through what
its viewer may read at that moment, decided in memory from the connection's
rights (social.access.can_receive_post_event), which actions keep current.
"""

from collections.abc import AsyncGenerator

import strawberry
from channels.db import database_sync_to_async
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import signed_in_viewer
from graphql_schema.ids import argument_pk
from graphql_schema.live.snapshots import snapshots
from graphql_schema.live.types import (
    CHAT_EVENT_KINDS,
    FEED_EVENT_KINDS,
    ChatEvent,
    ChatEventKind,
    FeedEvent,
    FeedEventKind,
)
from graphql_schema.polls.types import Poll
from social import access, events
from social.models import Poll as PollModel
from social.models import Post as PostModel


def _group_of_post(post_id: int) -> tuple[bool, int | None]:
    """(whether the post exists, its group): where its events are published.

    Read whoever asks: the events themselves are checked on delivery, so a post
    the viewer may not read yields nothing, exactly like a missing one.
    """
    group_ids = list(
        PostModel.objects.filter(pk=post_id).values_list("group_id", flat=True)[:1]
    )
    return (bool(group_ids), group_ids[0] if group_ids else None)


def _post_of_poll(poll_id: int) -> int | None:
    return (
        PollModel.objects.filter(pk=poll_id).values_list("post_id", flat=True).first()
    )


async def _still_readable(live, message: dict) -> bool:
    """Whether the post is still readable now, by its group as it is now (the
    event carries the visibility it was written with; the group may have turned
    secret since). The post's row is shared by every subscriber of the process:
    no query of one's own."""
    post = await snapshots.post(message)
    if post is None or post.group_id is None:
        return True
    return access.can_receive_post_event(
        live.rights, post.group_id, post.group.visibility
    )


def _connection(info: Info):
    return info.context.request.live


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        description=(
            "What happens to posts, as it happens. Without arguments: what the "
            "viewer's `feed` shows (organisation-wide posts and those of the "
            "viewer's groups, joined or left on the way). With `groupId`: that "
            "group's posts, while the viewer may read them. With `postId`: that "
            "post, its comments, reactions and poll; it ends after POST_DELETED. "
            "Only what the viewer may read at that moment is delivered; events "
            "are hints, and `feed` is the truth after a reconnection."
        )
    )
    async def feed_events(
        self,
        info: Info,
        group_id: relay.GlobalID | None = None,
        post_id: relay.GlobalID | None = None,
    ) -> AsyncGenerator[FeedEvent, None]:
        signed_in_viewer(info)
        group_pk = argument_pk(group_id, "Group", "groupId")
        post_pk = argument_pk(post_id, "Post", "postId")
        post_group = None
        if post_pk is not None:
            exists, post_group = await database_sync_to_async(_group_of_post)(post_pk)
            if not exists or (group_pk is not None and post_group != group_pk):
                audiences = set()
            else:
                audiences = {events.post_audience(post_group)}

            def audiences_of(rights):
                return audiences
        elif group_pk is not None:
            audiences = {events.group_feed(group_pk)}

            def audiences_of(rights):
                return audiences
        else:

            def audiences_of(rights):
                if rights is None:
                    return set()
                return {events.ORG_FEED} | {
                    events.group_feed(group) for group in rights.group_ids
                }

        live = _connection(info)
        async with live.listen(audiences_of) as queue:
            while True:
                message = await queue.get()
                group = message.get("group")
                readable = access.can_receive_post_event(
                    live.rights, group, message.get("visibility")
                )
                if message["kind"] == "GROUP_DELETED":
                    # Ends what it deleted, for those who could read it: to the
                    # others, a secret group stays as if it never existed.
                    followed = group_pk if post_pk is None else post_group
                    if readable and followed is not None and group == followed:
                        return
                    continue
                if message["kind"] not in FEED_EVENT_KINDS or not readable:
                    continue
                if group_pk is not None and group != group_pk:
                    continue
                if post_pk is not None and message.get("post") != post_pk:
                    continue
                follows_feed = group_pk is None and post_pk is None
                if follows_feed and not access.in_live_feed(live.rights, group):
                    continue
                if not await _still_readable(live, message):
                    continue
                yield FeedEvent(kind=FeedEventKind(message["kind"]), message=message)
                await live.release_database()
                if post_pk is not None and message["kind"] == "POST_DELETED":
                    return

    @strawberry.subscription(
        description=(
            "A poll as it changes (votes, when its results are shown, and its "
            "close), while the viewer may read it; ends when its post is deleted."
        )
    )
    async def poll_updated(
        self, info: Info, poll_id: relay.GlobalID
    ) -> AsyncGenerator[Poll, None]:
        signed_in_viewer(info)
        poll_pk = argument_pk(poll_id, "Poll", "pollId")
        post_pk = await database_sync_to_async(_post_of_poll)(poll_pk)
        audiences: set[str] = set()
        group = None
        if post_pk is not None:
            exists, group = await database_sync_to_async(_group_of_post)(post_pk)
            if exists:
                audiences = {events.post_audience(group)}
        live = _connection(info)
        async with live.listen(lambda rights: audiences) as queue:
            while True:
                message = await queue.get()
                if not access.can_receive_post_event(
                    live.rights, message.get("group"), message.get("visibility")
                ):
                    continue
                if message["kind"] == "GROUP_DELETED" and message.get("group") == group:
                    return
                if message.get("post") != post_pk:
                    continue
                if message["kind"] == "POST_DELETED":
                    return
                if message["kind"] != "POLL_UPDATED" or message.get("poll") != poll_pk:
                    continue
                if not await _still_readable(live, message):
                    continue
                poll = await snapshots.poll(message)
                if poll is not None:
                    yield poll
                    await live.release_database()

    @strawberry.subscription(
        description=(
            "What happens in the viewer's conversations (with `conversationId`, in "
            "that one): messages sent, edited and deleted, typing (never one's "
            "own), read receipts, and conversations started with the viewer. Only "
            "while the viewer takes part: leaving or being removed stops it at "
            "once. After a reconnection, `messages(after: <last cursor>)` gives "
            "exactly what was missed."
        )
    )
    async def chat_events(
        self, info: Info, conversation_id: relay.GlobalID | None = None
    ) -> AsyncGenerator[ChatEvent, None]:
        viewer = signed_in_viewer(info)
        conversation_pk = argument_pk(conversation_id, "Conversation", "conversationId")

        def audiences_of(rights):
            if conversation_pk is not None:
                return {events.conversation_audience(conversation_pk)}
            if rights is None:
                return set()
            # CONVERSATION_STARTED comes through the viewer's own audience, which
            # every signed-in connection listens to.
            return {
                events.conversation_audience(conversation)
                for conversation in rights.conversation_ids
            }

        live = _connection(info)
        async with live.listen(audiences_of) as queue:
            while True:
                message = await queue.get()
                kind = message["kind"]
                conversation = message.get("conversation")
                if kind not in CHAT_EVENT_KINDS:
                    continue
                if conversation_pk is not None and conversation != conversation_pk:
                    continue
                if not access.can_receive_chat_event(live.rights, conversation):
                    continue
                if kind == "TYPING" and message.get("actor") == viewer.pk:
                    continue
                yield ChatEvent(kind=ChatEventKind(kind), message_data=message)
                await live.release_database()
