"""The search query: French full-text search over what the viewer may read."""

import strawberry
import strawberry_django
from django.conf import settings
from strawberry import relay
from strawberry.relay import from_base64, to_base64

from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput, signed_in_viewer
from graphql_schema.search.types import SearchConnection, SearchEdge, SearchType
from social import access, search
from social.errors import DomainError
from social.models import SearchKind

CURSOR_PREFIX = "search"

# How each kind's hits become nodes: one query per kind on a page, through the
# kind's visibility rule once more.
_VISIBLE = {
    SearchKind.POST: access.post_visible_to,
    SearchKind.COMMENT: access.comment_visible_to,
    SearchKind.GROUP: access.group_visible_to,
    SearchKind.USER: access.user_visible_to,
    SearchKind.MESSAGE: lambda viewer: access.message_visible_to(viewer).filter(
        deleted_at__isnull=True
    ),
}


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    try:
        prefix, position = from_base64(after)
        offset = int(position)
    except (ValueError, TypeError) as error:
        raise BadUserInput("'after' is not a cursor of this search.") from error
    if prefix != CURSOR_PREFIX or offset < 0:
        raise BadUserInput("'after' is not a cursor of this search.")
    return offset + 1


@strawberry.type
class SearchQueries:
    @strawberry_django.field(
        description=(
            "Search posts, comments, groups, people and chat messages the viewer "
            "may read (messages: of the conversations they take part in), best "
            "first. French-aware: accents and case are ignored, words are stemmed "
            '("fleur" finds "Les fleurs"), every word is also a prefix '
            '("jard" finds "jardin"), and names of people and groups match with '
            "a small typo. Every word must match; punctuation and search syntax "
            "are plain text. A blank query or one over 200 characters is "
            "BAD_USER_INPUT. `types` narrows to some kinds. Signed-in users only."
        )
    )
    def search(
        self,
        info: Info,
        query: str,
        first: int | None = None,
        after: str | None = None,
        types: list[SearchType] | None = None,
    ) -> SearchConnection:
        viewer = signed_in_viewer(info)
        limit = settings.GRAPHQL_PAGE_SIZE_DEFAULT if first is None else first
        if not 0 <= limit <= settings.GRAPHQL_PAGE_SIZE_MAX:
            raise BadUserInput(
                f"'first' must be between 0 and {settings.GRAPHQL_PAGE_SIZE_MAX}."
            )
        offset = _offset(after)
        kinds = None if types is None else [kind.value for kind in types]
        try:
            page = search.search(viewer, query, kinds=kinds, offset=offset, limit=limit)
        except DomainError as error:
            raise BadUserInput(error.message) from error
        nodes = _nodes(viewer, page.hits)
        edges = [
            SearchEdge(
                cursor=to_base64(CURSOR_PREFIX, offset + index),
                score=hit.score,
                snippet=hit.snippet,
                node=nodes[hit.kind, hit.object_id],
            )
            for index, hit in enumerate(page.hits)
            if (hit.kind, hit.object_id) in nodes
        ]
        return SearchConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=offset + len(page.hits) < page.total,
                has_previous_page=offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )


def _nodes(viewer, hits: list[search.Hit]) -> dict[tuple[str, int], object]:
    """The objects of a page of hits, one query per kind."""
    wanted: dict[str, list[int]] = {}
    for hit in hits:
        wanted.setdefault(hit.kind, []).append(hit.object_id)
    found = {}
    for kind, ids in wanted.items():
        for obj in _VISIBLE[kind](viewer).filter(pk__in=ids):
            found[kind, obj.pk] = obj
    return found
