"""Errors of the API, in one place.

- Payload errors: domain errors raised by `social` become `UserError`s with an
  `ErrorCode` (`user_errors`).
- Top-level errors: every GraphQL error leaves with `extensions.code`; unexpected
  exceptions are logged with their traceback and request id, and masked outside
  DEBUG (`ErrorCodes`).
"""

import logging
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import strawberry
from asgiref.sync import sync_to_async
from django.conf import settings
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from social import errors as domain

if TYPE_CHECKING:
    from social.models import User

logger = logging.getLogger("parvis.graphql")
T = TypeVar("T")

ErrorCode = strawberry.enum(
    domain.ErrorCode, description="Why a mutation refused its input."
)


@strawberry.type(description="Why a mutation did not do (all of) what was asked.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault, if one is."
    )
    code: ErrorCode
    message: str


def user_errors(error: domain.DomainError | domain.DomainErrors) -> list[UserError]:
    """Turn a refused action into the `errors` of its payload."""
    refused = error.errors if isinstance(error, domain.DomainErrors) else [error]
    return [
        UserError(field=item.field, code=ErrorCode(item.code), message=item.message)
        for item in refused
    ]


async def perform(action: Callable[..., T], /, **kwargs) -> tuple[T | None, list]:
    """Run a domain action off the event loop: (its result, []) on success, or
    (None, the payload errors) when it refuses.

    The one way a mutation resolver calls `social.actions`. Convert input IDs
    (graphql_schema.ids.pk_of) inside what `perform` runs, e.g.
    `perform(lambda: post_update(actor=viewer, post_id=pk_of(...), body=...))`, so
    that a wrong ID is a payload error like any other refusal.
    """
    try:
        return await sync_to_async(action)(**kwargs), []
    except (domain.DomainError, domain.DomainErrors) as error:
        return None, user_errors(error)


def signed_in_viewer(info) -> "User":
    """The signed-in viewer, or a top-level UNAUTHENTICATED error."""
    if not info.context.is_signed_in:
        raise NotAuthenticated
    return info.context.viewer


class CodedError(GraphQLError):
    """A top-level error whose message is safe to show and carries its code."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, **kwargs) -> None:
        extensions = {"code": self.code, **kwargs.pop("extensions", {})}
        super().__init__(message, extensions=extensions, **kwargs)


class NotAuthenticated(CodedError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "You must be signed in.", **kwargs) -> None:
        super().__init__(message, **kwargs)


class BadUserInput(CodedError):
    code = "BAD_USER_INPUT"


class QueryTooComplex(CodedError):
    code = "QUERY_TOO_COMPLEX"


def rate_limited(context, throttled) -> "RateLimited":
    """The top-level error for a throttled request, with HTTP `Retry-After`."""
    if context.response is not None:
        context.response["Retry-After"] = str(throttled.retry_after)
    return RateLimited(
        throttled.retry_after,
        f"Too many failed attempts; try again in {throttled.retry_after} seconds.",
    )


class RateLimited(CodedError):
    """Refused whole for now; `extensions.retryAfter` says how many seconds to wait."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int, message: str | None = None, **kwargs) -> None:
        message = message or f"Too many attempts; try again in {retry_after} seconds."
        extensions = {"retryAfter": retry_after, **kwargs.pop("extensions", {})}
        super().__init__(message, extensions=extensions, **kwargs)


# Messages of the limiters shipped with Strawberry and graphql-core, which raise
# plain GraphQLErrors; tests at each limit catch a change of wording.
_TOO_COMPLEX = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed"
    r"|Document contains more than \d+ tokens"
)
# Exceptions whose message is about the client's input, not a server fault.
_BAD_INPUT_EXCEPTIONS = (GlobalIDValueError,)


def error_code(error: GraphQLError) -> str:
    """Classify a GraphQL error for `extensions.code`."""
    original = error.original_error
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return original.extensions["code"]
    if (error.extensions or {}).get("code"):
        return error.extensions["code"]
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation and variable coercion errors: the document's fault.
        if _TOO_COMPLEX.search(error.message):
            return QueryTooComplex.code
        return BadUserInput.code
    if isinstance(original, _BAD_INPUT_EXCEPTIONS):
        return BadUserInput.code
    return "INTERNAL_SERVER_ERROR"


class ErrorCodes(SchemaExtension):
    """Give every error its `extensions.code`; log and mask unexpected ones.

    HTTP results pass through `on_operation`; results streamed over the WebSocket
    through `on_stream_result`, before they are sent.
    """

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            self._process_result(self.execution_context.result)

    def on_stream_result(self, result) -> Iterator[None]:
        self._streamed = True
        self._process_result(result)
        yield

    def _process_result(self, result) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self._process(error) for error in errors]

    def _request_id(self) -> str:
        return getattr(self.execution_context.context, "request_id", "") or "-"

    def _process(self, error: GraphQLError) -> GraphQLError:
        code = error_code(error)
        extensions = {**(error.extensions or {}), "code": code}
        if code != "INTERNAL_SERVER_ERROR":
            error.extensions = extensions
            return error
        request_id = self._request_id()
        logger.error(
            "Unexpected error in GraphQL operation (request id %s, path %s)",
            request_id,
            error.path,
            exc_info=error.original_error,
        )
        extensions["requestId"] = request_id
        message = (
            error.message
            if settings.DEBUG
            else f"Internal server error (request id {request_id})."
        )
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )
