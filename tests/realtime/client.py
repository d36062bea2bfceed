"""A minimal graphql-transport-ws client over a real WebSocket, as phones speak it."""

import asyncio
import json
import urllib.request
from contextlib import asynccontextmanager

import websockets

PROTOCOL = "graphql-transport-ws"
TIMEOUT_SECONDS = 10


class GraphQLWebSocket:
    """One connection: `init`, then `subscribe` and read `next`/`error`/`complete`."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self._ids = 0

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self) -> dict:
        """The next message, waiting at most TIMEOUT_SECONDS."""
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return json.loads(await self.socket.recv())

    async def init(self, payload: dict | None = None) -> dict:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict | None = None) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id


@asynccontextmanager
async def connect(url: str, *, subprotocols=(PROTOCOL,), origin=None, headers=None):
    """Open a WebSocket to `url` (http(s):// is turned into ws(s)://)."""
    ws_url = url.replace("http://", "ws://").replace("https://", "wss://")
    async with websockets.connect(
        ws_url,
        subprotocols=list(subprotocols),
        origin=origin,
        additional_headers=headers,
        open_timeout=TIMEOUT_SECONDS,
    ) as socket:
        yield GraphQLWebSocket(socket)


async def http_graphql(
    base_url: str, query: str, variables: dict | None = None, token: str | None = None
) -> dict:
    """POST an operation to a live server (with a bearer token), as a phone does."""

    def post() -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - the live test server
            f"{base_url}/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers=headers,
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read())

    return await asyncio.to_thread(post)
