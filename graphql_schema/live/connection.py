"""What one GraphQL WebSocket keeps for live delivery, and the process-wide watch.

A connection keeps its viewer's rights in memory (social.access.LiveRights) and
the channel-layer groups (audiences) its subscriptions need. An event reaches it
once per audience; each subscription checks it against those rights, with no
query. A rights message (social.events.rights_changed) makes it re-read them
before it hands on anything else, so a removed member stops receiving at once.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.db import connections as databases
from django.db.backends.signals import connection_created

from social import access, events

logger = logging.getLogger("parvis.live")

# WebSocket close codes of the live layer (docs/LIVE.md).
# The channel layer is down, or the client fell behind: retry later. Not 1013,
# the standard "try again later": daphne (autobahn) refuses to send any code
# but 1000 and 3000-4999, and raises instead. graphql-ws clients retry on it.
CLOSE_TRY_AGAIN = 4503
CLOSE_TOO_MANY_CONNECTIONS = 4429

Audiences = Callable[[access.LiveRights | None], set[str]]


@dataclass(eq=False)
class Listener:
    """One subscription of a connection: the audiences it needs, and its queue."""

    audiences: Audiences
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class LiveConnection:
    """The live state of one socket: its rights, listeners and audiences."""

    def __init__(self, consumer) -> None:
        self.consumer = consumer
        self.rights: access.LiveRights | None = None
        self.listeners: set[Listener] = set()
        self._joined: set[str] = set()
        self._lock = asyncio.Lock()
        self.closed = False
        # While the first rights are read, rights messages wait here.
        self.starting = False
        self.missed: list[dict] = []
        # Whether the socket's thread may hold a database connection (below).
        self.may_hold_database = False

    @property
    def user_id(self) -> int | None:
        return None if self.rights is None else self.rights.user_id

    # --- Rights ---------------------------------------------------------------

    async def start(self, viewer) -> bool:
        """Listen to the viewer's own audience, then read their rights; False
        when the user already holds as many connections as allowed.

        In that order, a rights change made meanwhile is not lost: its message
        reaches the socket and is handled after (`take_missed`).
        """
        if not access.is_signed_in(viewer):
            return True
        self.rights = access.LiveRights(user_id=viewer.pk)
        if not connections.add(self):
            self.rights = None
            return False
        self.starting = True
        try:
            await self.sync_audiences()
            self.rights = await database_sync_to_async(access.live_rights_of)(viewer)
            await self.sync_audiences()
        finally:
            self.starting = False
        return True

    def take_missed(self) -> list[dict]:
        missed, self.missed = self.missed, []
        return missed

    async def refresh(self, viewer) -> None:
        """Re-read the rights (after a rights message), then the audiences."""
        if self.rights is None:
            return
        rights = await database_sync_to_async(access.live_rights_of)(viewer)
        self.rights = rights or access.LiveRights(user_id=self.rights.user_id)
        await self.sync_audiences()

    # --- The socket's database connection ---------------------------------------

    @contextlib.contextmanager
    def current(self) -> Iterator[None]:
        """Make this the socket of the code run within (the consumer's whole
        life): a database connection opened in its context, in the socket's
        own thread (ThreadSensitiveContext), is noted (`_opened_in_a_socket`)."""
        token = _current.set(self)
        try:
            yield
        finally:
            _current.reset(token)

    async def release_database(self) -> None:
        """Let go of the database connection the last event's fields used.

        Called once an event is sent: its fields were resolved in the socket's
        own thread, which would otherwise keep that connection for the socket's
        life (with CONN_MAX_AGE=0 it is closed; a persistent one is kept while
        healthy). When that thread holds none (the event's fields read only the
        rows shared by every subscriber, graphql_schema/live/snapshots.py),
        there is nothing to close, and no trip to the thread.
        """
        if self.may_hold_database:
            await sync_to_async(self._close_old_connections)()

    def _close_old_connections(self) -> None:
        close_old_connections()
        # In the socket's thread, in order with its other database work: a
        # connection opened after this one is noted again.
        self.may_hold_database = any(
            database.connection is not None
            for database in databases.all(initialized_only=True)
        )

    # --- Audiences --------------------------------------------------------------

    def wanted_audiences(self) -> set[str]:
        if self.rights is None:
            return set()
        wanted = {events.user_audience(self.rights.user_id)}
        for listener in self.listeners:
            wanted |= listener.audiences(self.rights)
        return wanted

    async def _layer_call(self, method, audience: str) -> None:
        """`group_add` or `group_discard` of this socket's channel, within
        LIVE_LAYER_TIMEOUT_SECONDS: a call the layer never answers (a Redis
        connection gone stale) fails instead of holding the socket's audiences,
        and its subscription, silently."""
        async with asyncio.timeout(settings.LIVE_LAYER_TIMEOUT_SECONDS):
            await method(audience, self.consumer.channel_name)

    async def sync_audiences(self) -> None:
        """Join the audiences now needed and leave the others."""
        layer = self.consumer.channel_layer
        async with self._lock:
            wanted = set() if self.closed else self.wanted_audiences()
            for audience in sorted(wanted - self._joined):
                await self._layer_call(layer.group_add, audience)
                self._joined.add(audience)
            for audience in sorted(self._joined - wanted):
                self._joined.discard(audience)
                try:
                    await self._layer_call(layer.group_discard, audience)
                except Exception:  # the layer is down: the group expires
                    logger.info("could not leave %s", audience, exc_info=True)

    async def renew_audiences(self) -> None:
        """Join the audiences again: the core Redis layer forgets a group member
        after its `group_expiry`, however long the socket stays open."""
        layer = self.consumer.channel_layer
        async with self._lock:
            for audience in sorted(self._joined):
                await self._layer_call(layer.group_add, audience)

    @asynccontextmanager
    async def listen(self, audiences: Audiences) -> AsyncIterator[asyncio.Queue]:
        """Receive the events of `audiences` (recomputed when rights change)."""
        listener = Listener(audiences)
        self.listeners.add(listener)
        listening = False
        try:
            try:
                await self.sync_audiences()
            except Exception:
                # Not listening, the subscription would stay open and silent:
                # close the socket instead, so that the client resyncs.
                logger.warning("could not join a subscription's audiences: closing")
                await self.give_up()
                raise
            connections.subscriptions += 1
            listening = True
            yield listener.queue
        finally:
            if listening:
                connections.subscriptions -= 1
            self.listeners.discard(listener)
            await self.sync_audiences()

    async def deliver(self, message: dict) -> None:
        """Hand an event to every subscription of the socket, in order."""
        if self.closed:
            return
        for listener in self.listeners:
            if listener.queue.qsize() >= settings.LIVE_QUEUE_MAX:
                # A client this far behind resyncs by query after reconnecting.
                await self.stop()
                await self.consumer.close(code=CLOSE_TRY_AGAIN, reason="Too far behind")
                return
            listener.queue.put_nowait(message)

    async def give_up(self) -> None:
        """Close the socket (4503) at once, before leaving its audiences: the
        channel layer failed it, and leaving may fail the same way."""
        if self.closed:
            return
        self.closed = True
        connections.discard(self)
        self.listeners.clear()
        await self.consumer.close(
            code=CLOSE_TRY_AGAIN, reason="Live updates unavailable"
        )

    async def stop(self) -> None:
        self.closed = True
        connections.discard(self)
        self.listeners.clear()
        await self.sync_audiences()


_current: ContextVar[LiveConnection | None] = ContextVar(
    "parvis_live_connection", default=None
)


def _opened_in_a_socket(sender, connection, **kwargs) -> None:
    live = _current.get()
    if live is not None:
        live.may_hold_database = True


connection_created.connect(_opened_in_a_socket, dispatch_uid="parvis.live.database")


class _Connections:
    """The live connections of this process, by user (for the per-user cap)."""

    def __init__(self) -> None:
        self.by_user: dict[int, set[LiveConnection]] = {}
        self.all: set[LiveConnection] = set()
        # Subscriptions listening to their audiences (shown by /healthz).
        self.subscriptions = 0

    def add(self, connection: LiveConnection) -> bool:
        held = self.by_user.setdefault(connection.user_id, set())
        if len(held) >= settings.LIVE_MAX_CONNECTIONS_PER_USER:
            return False
        held.add(connection)
        self.all.add(connection)
        return True

    def discard(self, connection: LiveConnection) -> None:
        self.all.discard(connection)
        held = self.by_user.get(connection.user_id)
        if held is not None:
            held.discard(connection)
            if not held:
                del self.by_user[connection.user_id]


connections = _Connections()


class LayerWatch:
    """Checks the channel layer of this process every few seconds; while it does
    not answer, every socket is closed (4503) so that clients resync once it is
    back, and new sockets are turned away the same way."""

    def __init__(self) -> None:
        self.down = False
        self._task: asyncio.Task | None = None
        self._channel: str | None = None

    def ensure_started(self) -> None:
        if get_channel_layer() is None:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def _probe(self) -> None:
        layer = get_channel_layer()
        if isinstance(layer, InMemoryChannelLayer):
            return  # in-process: it cannot go away while the process lives
        if self._channel is None:
            # The layer's own prefix: on the core layer, every prefix is a Redis
            # list that one receiver at a time pops (up to 5 s), behind the
            # sockets' receive; one of its own would time out while any socket
            # is open, and the watch would close every socket for nothing.
            self._channel = await layer.new_channel()
        await layer.send(self._channel, {"type": "live.watch"})
        await layer.receive(self._channel)

    async def _drop_pools(self) -> None:
        """Drop the core layer's pooled Redis connections: once Redis is back,
        one of them reused would hang until its socket timeout (15 s)."""
        close_pools = getattr(get_channel_layer(), "close_pools", None)
        if close_pools is None:
            return
        try:
            async with asyncio.timeout(settings.LIVE_LAYER_CHECK_SECONDS):
                await close_pools()
        except Exception:  # down anyway: the next check tries again
            logger.info("could not drop the channel layer's pools", exc_info=True)

    async def _run(self) -> None:
        interval = settings.LIVE_LAYER_CHECK_SECONDS
        expiry = getattr(get_channel_layer(), "group_expiry", None)
        renewed = time.monotonic()
        while True:
            if expiry and time.monotonic() - renewed > expiry / 2 and not self.down:
                renewed = time.monotonic()
                for connection in list(connections.all):
                    with contextlib.suppress(Exception):
                        await connection.renew_audiences()
            try:
                async with asyncio.timeout(interval):
                    await self._probe()
            except Exception as error:  # any failure means down
                if not self.down:
                    logger.warning("channel layer down (%r): closing sockets", error)
                self.down = True
                self._channel = None
                await self._drop_pools()
                for connection in list(connections.all):
                    if connection.closed:
                        continue
                    connection.closed = True
                    try:
                        await connection.consumer.close(
                            code=CLOSE_TRY_AGAIN, reason="Live updates unavailable"
                        )
                    except Exception:  # one socket must not stop the watch
                        logger.exception("could not close a live socket")
            else:
                if self.down:
                    logger.warning("channel layer back: accepting sockets again")
                self.down = False
            await asyncio.sleep(interval)


watch = LayerWatch()
