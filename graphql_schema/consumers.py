"""The GraphQL WebSocket (graphql-transport-ws only)."""

import datetime as dt
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from graphql_schema.context import Context, bearer_secret
from graphql_schema.schema import schema
from social.actions.auth import token_authenticate


class GraphQLConsumer(GraphQLWSConsumer):
    """One socket: the viewer is the bearer token's user of `connection_init`, or
    else the session's when it connects.
    """

    async def get_context(self, request, response) -> Context:
        return Context(request=request, response=None, viewer=request.scope["user"])

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticate `{"authorization": "Bearer <token>"}`; close 4403 if bad."""
        params = context.connection_params or {}
        value = params.get("authorization", params.get("Authorization"))
        if value is None:
            return UNSET
        secret = bearer_secret(value) if isinstance(value, str) else ""
        token = (
            await database_sync_to_async(token_authenticate)(secret=secret)
            if secret
            else None
        )
        if token is None:
            raise ConnectionRejectionError({"reason": "invalid or revoked token"})
        # The context is shared by every operation of the socket: set it once.
        context.viewer = token.user
        context.token = token
        return UNSET


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
        )
    )
)
