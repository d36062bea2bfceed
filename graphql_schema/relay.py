"""Relay connections: the one way lists are paged."""

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry_django.relay import DjangoCursorConnection

from graphql_schema.errors import BadUserInput

# Every Node's `id` is its model's primary key. Said on each type (`_id_attr`),
# Strawberry reads it at once; otherwise it scans and evaluates the type's
# annotations for a NodeID on every `id` it resolves, then strawberry-django
# catches the error and falls back to "pk": 0.2 ms an id, 170 ids a feed page.
NODE_ID_ATTR = "pk"


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
