"""`GET /healthz`: the state of the database and of the channel layer."""

import asyncio
import logging
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from graphql_schema.live.connection import connections

logger = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 3.0


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # A health probe must not keep a connection open between probes.
        connection.close()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    # The default prefix: on the core Redis layer, a channel of another prefix
    # waits behind the process's blocking read for its sockets (up to 5 s).
    channel = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("the channel layer returned another message")


async def _run(name: str, check) -> str:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("health check %s failed: %r", name, error)
        return "unavailable"
    return "ok"


@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the channel layer work, 503 otherwise."""
    database, channel_layer = await asyncio.gather(
        _run("database", sync_to_async(_check_database, thread_sensitive=False)),
        _run("channel_layer", _check_channel_layer),
    )
    body = {
        "database": database,
        "channelLayer": channel_layer,
        # This process's live sockets (signed in) and subscriptions listening.
        "live": {
            "connections": len(connections.all),
            "subscriptions": connections.subscriptions,
        },
    }
    healthy = database == "ok" and channel_layer == "ok"
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
