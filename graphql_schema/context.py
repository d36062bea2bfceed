"""The typed context every resolver receives."""

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from project.middleware import new_request_id
from social import access, throttle
from social.models import AccessToken, User

if TYPE_CHECKING:
    from graphql_schema.posts.loaders import Loaders

_BEARER = re.compile(r"Bearer(?:\s+(?P<secret>\S*))?\s*", re.IGNORECASE)


def bearer_secret(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value.

    None when there is no Bearer credential at all (no header, another scheme);
    "" when the Bearer value is malformed, which no token matches.
    """
    if authorization is None:
        return None
    value = authorization.strip()
    if not value.lower().startswith("bearer"):
        return None
    match = _BEARER.fullmatch(value)
    return (match["secret"] or "") if match else ""


@dataclass
class Context:
    """Who is asking, over which request; built once per HTTP request or socket.

    `request` is the Django HttpRequest, or the WebSocket consumer of a socket.
    """

    request: Any
    response: Any = None
    viewer: User | AnonymousUser = field(default_factory=AnonymousUser)
    request_id: str = field(default_factory=new_request_id)
    # The bearer token that authenticated the viewer; None for a session.
    token: AccessToken | None = None
    # The socket's `connection_init` payload (set by Strawberry), None over HTTP.
    connection_params: dict | None = None
    _loaders: Any = field(default=None, init=False, repr=False)
    # The page loaders of the connections inside lists (graphql_schema.batches).
    pages: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def loaders(self) -> "Loaders":
        """The dataloaders of this context, made on first use."""
        if self._loaders is None:
            from graphql_schema.posts.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    @property
    def is_signed_in(self) -> bool:
        return access.is_signed_in(self.viewer)

    @property
    def is_http(self) -> bool:
        """Whether this is an HTTP request (with a session), not a socket."""
        return isinstance(self.request, HttpRequest)

    def header(self, name: str) -> str:
        """A request header ('' when absent), over HTTP and WebSocket alike."""
        if self.is_http:
            return self.request.headers.get(name, "")
        wanted = name.lower().encode("latin1")
        for key, value in self.request.scope.get("headers", []):
            if key.lower() == wanted:
                return value.decode("latin1")
        return ""

    @property
    def client_address(self) -> str:
        """The client's address, through TRUSTED_PROXIES (social.throttle)."""
        if self.is_http:
            peer = self.request.META.get("REMOTE_ADDR", "")
        else:
            peer = (self.request.scope.get("client") or ("",))[0] or ""
        return throttle.client_address(peer, self.header("X-Forwarded-For"))


Info = strawberry.Info[Context, None]
