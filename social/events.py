"""The one publisher of live events: what happened, to which audience, after commit.

An action calls one of the functions below inside its transaction; the message
leaves once the outermost transaction commits (a rolled-back write publishes
nothing) and is sent once to its audience, a channel-layer group:

- `feed.org`: organisation-wide posts; `feed.group.<id>`: a group's posts;
- `chat.<id>`: a conversation;
- `user.<id>`: the open connections of one user, told to re-read their rights
  (memberships, participations, credentials) before the next delivery.

Messages are small JSON with ids, never model instances. Events are live hints:
clients catch up with queries. Sending never fails the write: when the channel
layer is down the event is dropped and logged.
"""

import asyncio
import logging
import uuid
from collections.abc import Iterable
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("parvis.events")

# The channel-layer message types: data for subscriptions, and rights changes
# that each connection handles once, whatever its subscriptions.
EVENT = "parvis.event"
RIGHTS = "parvis.rights"

# How long one publication may wait for the channel layer before it is dropped.
SEND_TIMEOUT_SECONDS = 2.0

ORG_FEED = "feed.org"


def group_feed(group_id: int) -> str:
    return f"feed.group.{group_id}"


def post_audience(group_id: int | None) -> str:
    """The audience of a post's events: its group's feed, or the organisation's."""
    return ORG_FEED if group_id is None else group_feed(group_id)


def conversation_audience(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def user_audience(user_id: int) -> str:
    return f"user.{user_id}"


# --- What the actions publish ---------------------------------------------------


def feed_event(
    kind: str,
    *,
    post,
    actor_id: int | None,
    comment_id: int | None = None,
    poll_id: int | None = None,
) -> None:
    """A FeedEvent (POST_CREATED, COMMENT_ADDED, ...) on `post`, to its audience.

    The message carries the visibility of the post's group as it is in this
    transaction, so that connections decide who may read it without a query.
    """
    group = post.group if post.group_id is not None else None
    publish(
        post_audience(post.group_id),
        {
            "type": EVENT,
            "kind": kind,
            "post": post.pk,
            "group": post.group_id,
            "visibility": None if group is None else group.visibility,
            "comment": comment_id,
            "poll": poll_id,
            "actor": actor_id,
        },
    )


def group_deleted(group_id: int, visibility: str) -> None:
    """A group is gone: subscriptions to it (and to its posts) end, for those
    who could read it."""
    publish(
        group_feed(group_id),
        {
            "type": EVENT,
            "kind": "GROUP_DELETED",
            "group": group_id,
            "visibility": visibility,
        },
    )


def chat_event(
    kind: str,
    *,
    conversation_id: int,
    actor_id: int | None,
    message_id: int | None = None,
    sequence: int | None = None,
) -> None:
    """A ChatEvent (MESSAGE_SENT, TYPING, READ, ...) to a conversation's audience."""
    publish(
        conversation_audience(conversation_id),
        {
            "type": EVENT,
            "kind": kind,
            "conversation": conversation_id,
            "message": message_id,
            "sequence": sequence,
            "actor": actor_id,
        },
    )


def conversation_started(
    *, conversation_id: int, participant_ids: Iterable[int], actor_id: int | None
) -> None:
    """A conversation starts for these participants (new, or they were added).

    Sent to each one's own audience, after their rights are re-read: their
    connections do not listen to the conversation yet.
    """
    participant_ids = sorted(set(participant_ids))
    rights_changed(participant_ids)
    for user_id in participant_ids:
        publish(
            user_audience(user_id),
            {
                "type": EVENT,
                "kind": "CONVERSATION_STARTED",
                "conversation": conversation_id,
                "message": None,
                "sequence": None,
                "actor": actor_id,
            },
        )


def rights_changed(user_ids: Iterable[int], *, credentials: bool = False) -> None:
    """Tell these users' connections to re-read their rights before delivering
    more; with `credentials`, to re-check their token or session and close if
    it no longer holds (logout, password change, deactivation)."""
    for user_id in sorted(set(user_ids)):
        publish(
            user_audience(user_id),
            {"type": RIGHTS, "user": user_id, "credentials": credentials},
        )


# --- Sending ----------------------------------------------------------------------


def publish(audience: str, message: dict) -> None:
    """Send `message` to `audience` once the current transaction commits."""
    message = {**message, "id": uuid.uuid4().hex}
    transaction.on_commit(partial(_send, audience, message))


def _send(audience: str, message: dict) -> None:
    try:
        async_to_sync(_group_send)(audience, message)
    except Exception:
        # The write is committed: the event is a hint, clients resync by query.
        logger.warning(
            "live event %s to %s not sent", message.get("kind"), audience, exc_info=True
        )


async def _group_send(audience: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
        await layer.group_send(audience, message)
