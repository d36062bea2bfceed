"""The floors served over HTTP and WebSocket, for the bench's live server only.

Mounted by project/urls.py and project/asgi.py when PARVIS_BENCH_VIEWS=1
(settings.BENCH_VIEWS); in a normal run these URLs do not exist (a test checks).
"""

import json

from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import HttpRequest, JsonResponse
from django.urls import path

from bench.feed import floor_feed_page
from graphql_schema.context import bearer_secret
from graphql_schema.views import bad_token_response
from social.actions.auth import token_authenticate


def feed_page(request: HttpRequest) -> JsonResponse:
    """The feed page by hand: bearer token, the floor's queries, the same JSON."""
    secret = bearer_secret(request.headers.get("Authorization"))
    token = token_authenticate(secret=secret) if secret is not None else None
    if token is None:
        return bad_token_response(request)
    return JsonResponse({"data": floor_feed_page(token.user)})


urlpatterns = [path("bench/feed/", feed_page, name="bench-feed")]


class IdleSocket(AsyncWebsocketConsumer):
    """The least a graphql-transport-ws server does for an idle socket: accept,
    acknowledge `connection_init`, answer `ping` with `pong`."""

    async def connect(self) -> None:
        await self.accept("graphql-transport-ws")

    async def receive(self, text_data=None, bytes_data=None) -> None:
        kind = json.loads(text_data or "{}").get("type")
        if kind == "connection_init":
            await self.send('{"type":"connection_ack"}')
        elif kind == "ping":
            await self.send('{"type":"pong"}')


websocket_urlpatterns = [path("bench/ws/", IdleSocket.as_asgi())]
