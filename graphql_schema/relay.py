"""Relay connections: the one way lists are paged."""

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry_django.relay import DjangoCursorConnection

from graphql_schema.errors import BadUserInput


@strawberry.type(
    name="Connection",
    description=(
        "A page of a list. `first`/`last` default to 20 and may be at most 100; "
        "cursors are opaque and stay valid when items are added."
    ),
)
class Connection(DjangoCursorConnection[relay.NodeType]):
    """Keyset-paged, counted connection (cursors stable under inserts)."""

    @classmethod
    def resolve_connection(
        cls,
        nodes: Any,
        *,
        info: strawberry.Info,
        first: int | None = None,
        last: int | None = None,
        **kwargs: Any,
    ) -> Any:
        if first is None and last is None:
            first = settings.GRAPHQL_PAGE_SIZE_DEFAULT
        try:
            return super().resolve_connection(
                nodes, info=info, first=first, last=last, **kwargs
            )
        except ValueError as error:
            # Cursors are decoded before any query: a bad one is the client's.
            if kwargs.get("after") is None and kwargs.get("before") is None:
                raise
            raise BadUserInput(
                "'after'/'before' is not a cursor of this list."
            ) from error
