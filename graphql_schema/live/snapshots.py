"""Rows loaded once per event and process, shared by every subscriber.

An event that reaches a thousand sockets of one process loads its post (or
comment, or poll) once. Only what the delivery check let through is shared, and
viewer-specific fields still resolve per subscriber.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from social.models import Comment, Conversation, Message, Poll, Post, User

# Events kept, newest last: enough for every socket to read an event's rows.
SNAPSHOTS_KEPT = 256


class Snapshots:
    def __init__(self) -> None:
        self._loads: OrderedDict[tuple, asyncio.Future] = OrderedDict()

    def _shared(self, key: tuple, load: Callable[[], Any]) -> Awaitable[Any]:
        future = self._loads.get(key)
        if future is None or future.get_loop() is not asyncio.get_running_loop():
            future = asyncio.ensure_future(database_sync_to_async(load)())
            self._loads[key] = future
            while len(self._loads) > SNAPSHOTS_KEPT:
                self._loads.popitem(last=False)
        # One subscriber going away must not cancel the others' load.
        return asyncio.shield(future)

    def post(self, message: dict) -> Awaitable[Post | None]:
        pk = message["post"]
        return self._shared(
            (message["id"], "post"),
            # Its author too: `Post.author` applies the users' rule to it for
            # each subscriber, instead of one query each.
            lambda: (
                Post.objects.select_related("group", "author").filter(pk=pk).first()
            ),
        )

    def comment(self, message: dict) -> Awaitable[Comment | None]:
        pk = message["comment"]
        return self._shared(
            (message["id"], "comment"),
            lambda: Comment.objects.filter(pk=pk).first(),
        )

    def actor(self, message: dict) -> Awaitable[User | None]:
        pk = message["actor"]
        return self._shared(
            (message["id"], "actor"),
            lambda: (
                User.objects.select_related("department", "site").filter(pk=pk).first()
            ),
        )

    def message(self, message: dict) -> Awaitable[Message | None]:
        pk = message["message"]
        return self._shared(
            (message["id"], "message"), lambda: Message.objects.filter(pk=pk).first()
        )

    def conversation(self, message: dict) -> Awaitable[Conversation | None]:
        pk = message["conversation"]
        return self._shared(
            (message["id"], "conversation"),
            lambda: Conversation.objects.filter(pk=pk).first(),
        )

    def poll(self, message: dict) -> Awaitable[Poll | None]:
        pk = message["poll"]
        return self._shared(
            (message["id"], "poll"), lambda: Poll.objects.filter(pk=pk).first()
        )


snapshots = Snapshots()
