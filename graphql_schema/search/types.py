"""Search results: a ranked connection whose edges carry a score and a snippet."""

import enum
from typing import Annotated

import strawberry
from strawberry import relay

from graphql_schema.chat.types import Message
from graphql_schema.groups.types import Group
from graphql_schema.posts.types import Comment, Post
from graphql_schema.users.types import User


@strawberry.enum(name="SearchType", description="What search may find.")
class SearchType(enum.Enum):
    POST = "POST"
    COMMENT = "COMMENT"
    GROUP = "GROUP"
    USER = "USER"
    MESSAGE = "MESSAGE"


SearchResult = Annotated[
    Post | Comment | Group | User | Message,
    strawberry.union(
        "SearchResult",
        description="Something search found; messages only for the participants "
        "of their conversation.",
    ),
]


@strawberry.type(name="SearchEdge", description="One search hit.")
class SearchEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the next page.")
    score: float = strawberry.field(
        description="Relevance, higher first; comparable within one search only."
    )
    snippet: str = strawberry.field(
        description="An excerpt with the matched words in <mark>…</mark>; any other "
        "markup of the content is escaped, so it is safe to insert as HTML."
    )
    node: SearchResult


@strawberry.type(
    name="SearchConnection",
    description="A page of search hits, best first. Ranking is recomputed for each "
    "page (cursors are positions): a page may shift if the index changes between "
    "two requests, and never repeats a hit while it does not.",
)
class SearchConnection:
    edges: list[SearchEdge]
    page_info: relay.PageInfo
    total_count: int = strawberry.field(
        description="How many hits the viewer may see in all."
    )
