"""The GraphQL WebSocket (graphql-transport-ws only)."""

import asyncio
import datetime as dt
import logging
from urllib.parse import urlsplit

from asgiref.sync import ThreadSensitiveContext
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.unset import UNSET, UnsetType

from graphql_schema.context import Context, bearer_secret
from graphql_schema.credentials import refresh_viewer
from graphql_schema.live.connection import (
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TRY_AGAIN,
    LiveConnection,
    watch,
)
from graphql_schema.schema import schema
from social import events
from social.actions.auth import token_authenticate

CLOSE_FORBIDDEN = 4403

logger = logging.getLogger("parvis.live")


class Refused(ConnectionRejectionError):
    """Refuse `connection_init` with this close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__({"reason": reason})
        self.code = code
        self.reason = reason


def _well_formed(message) -> bool:
    """Whether a graphql-transport-ws message has the shape its type needs."""
    if not isinstance(message, dict):
        return False
    kind = message.get("type")
    if kind in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return False
    return kind != "subscribe" or isinstance(message.get("payload"), dict)


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, with the operations cap answered with a code."""

    async def handle_message(self, message) -> None:
        # Strawberry reads fields without checking their types: a message that
        # is not an object, or an id or payload of the wrong type, raised
        # TypeError in the socket's handler task, which died and left the
        # socket open and deaf. The protocol says 4400.
        if not _well_formed(message):
            await self.handle_invalid_message("Failed to parse message")
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message) -> None:
        cap = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and cap is not None
            and message.get("id") not in self.operations
            and len(self.operations) >= cap
        ):
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [
                        {
                            "message": f"At most {cap} operations run at once on "
                            "one connection: complete one first.",
                            "extensions": {"code": "RATE_LIMITED"},
                        }
                    ],
                }
            )
            return
        await super().handle_subscribe(message)


class GraphQLConsumer(GraphQLWSConsumer):
    """One socket: the viewer is the bearer token's user of `connection_init`, or
    else the session's when it connects.

    Each socket has its own thread for database work (ThreadSensitiveContext):
    without it, the ORM work of every socket of the process would queue on one
    thread. Its live state (graphql_schema.live.connection) decides what its
    subscriptions receive.
    """

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.live = LiveConnection(self)
        self.graphql_context: Context | None = None
        self._refusal: Refused | None = None

    async def __call__(self, scope, receive, send):
        if watch.down:
            # Refuse the handshake (403) before touching the channel layer, which
            # would fail with a traceback per attempt while clients retry.
            await WebsocketDenier()(scope, receive, send)
            return
        async with ThreadSensitiveContext():
            with self.live.current():
                await super().__call__(scope, receive, send)

    # Channels sets `channel_receive` (the read of the socket's channel-layer
    # channel) before it dispatches. On the core Redis layer that read fails as
    # soon as Redis goes away, which would end the consumer with an exception
    # and make daphne close with 1011, a code graphql-ws clients never retry.
    @property
    def channel_receive(self):
        return self._channel_receive

    @channel_receive.setter
    def channel_receive(self, read) -> None:
        async def guarded():
            try:
                return await read()
            except Exception as error:
                logger.warning("channel layer read failed (%r): closing", error)
                await self.close(
                    code=CLOSE_TRY_AGAIN, reason="Live updates unavailable"
                )
                # Read no more: the client's close ends the consumer as usual.
                await asyncio.Event().wait()

        self._channel_receive = guarded

    async def get_context(self, request, response) -> Context:
        self.graphql_context = Context(
            request=request, response=None, viewer=request.scope["user"]
        )
        return self.graphql_context

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticate `{"authorization": "Bearer <token>"}` (4403 if bad), then
        start live delivery (4503 while the channel layer is down, 4429 past the
        connections allowed to one user)."""
        watch.ensure_started()
        if watch.down:
            self._refuse(CLOSE_TRY_AGAIN, "Live updates unavailable: retry later")
        params = context.connection_params or {}
        value = params.get("authorization", params.get("Authorization"))
        if value is not None:
            secret = bearer_secret(value) if isinstance(value, str) else ""
            token = (
                await database_sync_to_async(token_authenticate)(secret=secret)
                if secret
                else None
            )
            if token is None:
                self._refuse(CLOSE_FORBIDDEN, "Invalid or revoked token")
            # The context is shared by every operation of the socket: set it once.
            context.viewer = token.user
            context.token = token
        try:
            started = await self.live.start(context.viewer)
        except Exception:
            logger.warning("could not start live delivery: refusing", exc_info=True)
            await self.live.stop()
            self._refuse(CLOSE_TRY_AGAIN, "Live updates unavailable: retry later")
        if not started:
            self._refuse(
                CLOSE_TOO_MANY_CONNECTIONS,
                f"Too many connections for this user (at most "
                f"{settings.LIVE_MAX_CONNECTIONS_PER_USER}): close one first",
            )
        for message in self.live.take_missed():
            await self._rights_changed(message)
        return UNSET

    def _refuse(self, code: int, reason: str) -> None:
        self._refusal = Refused(code, reason)
        raise self._refusal

    async def close(self, code=None, reason=None) -> None:
        # Strawberry closes a refused connection_init with 4403 "Forbidden": say
        # why instead.
        if self._refusal is not None:
            code, reason = self._refusal.code, self._refusal.reason
        await super().close(code=code, reason=reason)

    async def dispatch(self, message) -> None:
        kind = message.get("type")
        if kind == events.EVENT:
            await self.live.deliver(message)
        elif kind == events.RIGHTS:
            await self._rights_changed(message)
        else:
            await super().dispatch(message)

    async def _rights_changed(self, message: dict) -> None:
        """Re-read the viewer (its role too) and their rights before handing on
        anything else; close the socket (4403) if its credentials no longer
        hold, and (4503) if they cannot be read: unknown rights deliver nothing.

        A message that comes while the socket is still reading its first rights
        is kept, and handled once they are read (LiveConnection.start).
        """
        context = self.graphql_context
        if context is None or self.live.closed:
            return
        if self.live.starting:
            self.live.missed.append(message)
            return
        if self.live.rights is None:
            return
        try:
            if not await database_sync_to_async(refresh_viewer)(context):
                await self.live.stop()
                await self.close(code=CLOSE_FORBIDDEN, reason="Signed out")
                return
            await self.live.refresh(context.viewer)
        except Exception:
            logger.warning(
                "could not re-read a socket's rights: closing it", exc_info=True
            )
            await self.live.stop()
            await self.close(code=CLOSE_TRY_AGAIN, reason="Try again")

    async def disconnect(self, code: int) -> None:
        await self.live.stop()
        await super().disconnect(code)


class SameOriginValidator:
    """Refuse a handshake from a page of another origin (WebSocket hijacking).

    The Origin must name this very server (the handshake's Host, which must be
    one of ALLOWED_HOSTS, port included) or be listed in CORS_ALLOWED_ORIGINS or
    CSRF_TRUSTED_ORIGINS. A handshake without Origin comes from no browser (a
    phone app, a script): it carries no page's cookies, so it is let through.
    """

    def __init__(self, application) -> None:
        self.application = application

    def allowed(self, scope) -> bool:
        headers = dict(scope.get("headers") or ())
        origin = headers.get(b"origin", b"").decode("latin1")
        if not origin:
            return True
        trusted = {*settings.CORS_ALLOWED_ORIGINS, *settings.CSRF_TRUSTED_ORIGINS}
        if origin in trusted:
            return True
        host = headers.get(b"host", b"").decode("latin1")
        parsed = urlsplit(origin)
        domain, _port = split_domain_port(host)
        return (
            parsed.scheme in ("http", "https")
            and parsed.netloc == host
            and bool(domain)
            and validate_host(domain, settings.ALLOWED_HOSTS)
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)


graphql_ws_application = SameOriginValidator(
    AuthMiddlewareStack(
        GraphQLConsumer.as_asgi(
            schema=schema,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=dt.timedelta(seconds=10),
            max_subscriptions_per_connection=(
                settings.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION
            ),
        )
    )
)
