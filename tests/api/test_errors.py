"""Top-level errors: every one has a code; unexpected ones are masked and logged."""

import logging
from collections.abc import AsyncGenerator

import pytest
import strawberry
from django.test import override_settings

from graphql_schema.context import Context
from graphql_schema.errors import ErrorCodes, NotAuthenticated

SECRET = "password=hunter2 at /srv/parvis/secret.py"


@strawberry.type
class FaultyQuery:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError(SECRET)

    @strawberry.field
    def guarded(self) -> str:
        raise NotAuthenticated


@strawberry.type
class FaultySubscription:
    @strawberry.subscription
    async def broken_feed(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError(SECRET)


# The project's error extension on a schema with resolvers that fail, since the
# real schema has (we hope) none to test it with.
faulty_schema = strawberry.Schema(
    query=FaultyQuery, subscription=FaultySubscription, extensions=[ErrorCodes]
)


async def stream(query: str) -> list[dict]:
    """Run an operation as the WebSocket transport does (`schema.stream`)."""
    context = Context(request=None, request_id="req-43")
    results = await faulty_schema.stream(query, context_value=context)
    return [
        {"data": result.data, "errors": [e.formatted for e in result.errors or []]}
        async for result in results
    ]


async def run(query: str) -> dict:
    context = Context(request=None, request_id="req-42")
    result = await faulty_schema.execute(query, context_value=context)
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


async def test_an_unexpected_error_is_masked_outside_debug(caplog):
    """Outside DEBUG the client sees a generic message with the request id."""
    with override_settings(DEBUG=False), caplog.at_level(logging.ERROR, "parvis"):
        body = await run("{ broken }")
    [error] = body["errors"]
    assert SECRET not in str(body)
    assert error["message"] == "Internal server error (request id req-42)."
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "req-42",
    }
    assert error["path"] == ["broken"]


async def test_the_log_keeps_the_traceback_with_the_request_id(caplog):
    """The server log has what the client does not: the cause, with the request id."""
    with caplog.at_level(logging.ERROR, "parvis"):
        await run("{ broken }")
    [record] = [r for r in caplog.records if r.name == "parvis.graphql"]
    assert "req-42" in record.getMessage()
    assert record.exc_info
    assert SECRET in str(record.exc_info[1])


async def test_in_debug_the_message_is_shown_with_its_code():
    """A developer running with DEBUG sees the real message."""
    with override_settings(DEBUG=True):
        body = await run("{ broken }")
    assert body["errors"][0]["message"] == SECRET
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_a_coded_error_is_shown_as_is():
    """Errors the API raises on purpose keep their message and code."""
    body = await run("{ guarded }")
    assert body["errors"][0]["message"] == "You must be signed in."
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize(
    "query",
    ["{ nope }", "{ broken(arg: 1) }", "{ broken", "query($x: Int!) { broken }"],
)
async def test_documents_the_server_cannot_run_are_bad_user_input(query):
    """Unknown fields, bad arguments, syntax errors, missing variables."""
    body = await run(query)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("query", ["{ broken }", "subscription { brokenFeed }"])
async def test_over_the_websocket_transport_errors_are_masked_too(query, caplog):
    """Results streamed to a socket are masked and coded before they are sent."""
    with override_settings(DEBUG=False), caplog.at_level(logging.ERROR, "parvis"):
        results = await stream(query)
    assert SECRET not in str(results)
    error = results[-1]["errors"][0]
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "req-43",
    }
    assert len([r for r in caplog.records if r.name == "parvis.graphql"]) == 1
