"""HTTP middleware of the project."""

import re
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id() -> str:
    """Return a fresh request id."""
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id, echoed in the response and written to the log.

    A well-formed `X-Request-ID` sent by a proxy is kept, so that one id follows a
    request through every layer.
    """

    async_capable = True
    sync_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable]
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _tag(self, request: HttpRequest) -> str:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request.id = sent if _CLIENT_ID.match(sent) else new_request_id()
        return request.id

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self._acall(request)
        request_id = self._tag(request)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        request_id = self._tag(request)
        response = await self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
