"""Relay connections: the one way lists are paged."""

from typing import Any

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry_django.relay import DjangoCursorConnection


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
        return super().resolve_connection(
            nodes, info=info, first=first, last=last, **kwargs
        )
