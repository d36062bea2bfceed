"""The GraphQL WebSocket (graphql-transport-ws only)."""

import datetime as dt

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http.request import validate_host
from strawberry.channels import GraphQLWSConsumer
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graphql_schema.context import Context
from graphql_schema.schema import schema


class GraphQLConsumer(GraphQLWSConsumer):
    """One socket: the viewer is taken from the session when it connects."""

    async def get_context(self, request, response) -> Context:
        return Context(request=request, response=None, viewer=request.scope["user"])


class HostOriginValidator(OriginValidator):
    """Accept a handshake whose Origin is one of ALLOWED_HOSTS or a CORS origin.

    A handshake without Origin comes from no browser (a phone app, a script): it
    carries no ambient credentials of a page, so it is let through.
    """

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        if parsed_origin.hostname and validate_host(
            parsed_origin.hostname, settings.ALLOWED_HOSTS
        ):
            return True
        return self.validate_origin(parsed_origin)


graphql_ws_application = HostOriginValidator(
    AuthMiddlewareStack(
        GraphQLConsumer.as_asgi(
            schema=schema,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=dt.timedelta(seconds=10),
        )
    ),
    settings.CORS_ALLOWED_ORIGINS,
)
