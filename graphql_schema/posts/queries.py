"""Queries on posts: the news feed."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry import relay

from graphql_schema.batches import on_the_loop
from graphql_schema.context import Info
from graphql_schema.ids import argument_pk
from graphql_schema.posts.types import Post
from graphql_schema.relay import Connection
from social import access
from social.models import Post as PostModel
from social.selectors.feed import feed_for, group_posts


@strawberry.type
class PostQueries:
    @strawberry_django.connection(
        Connection[Post],
        description=(
            "The news feed, newest first: the posts of the viewer's groups and the "
            "organisation-wide posts, pinned organisation-wide announcements on "
            "top. With `groupId`, the posts of that group (pinned ones on top), "
            "for anyone who may read it; empty if the viewer may not. Cursors "
            "stay valid while new posts arrive."
        ),
    )
    @on_the_loop  # builds the queryset, runs no query
    def feed(
        self, info: Info, group_id: relay.GlobalID | None = None
    ) -> Iterable[PostModel]:
        viewer = info.context.viewer
        if group_id is None:
            return feed_for(viewer)
        group_pk = argument_pk(group_id, "Group", "groupId")
        # A group the viewer may not read gives no post, as a missing one.
        readable = access.group_content_visible_to(viewer).filter(pk=group_pk)
        return group_posts(viewer, readable)
