"""GraphQL types of posts, comments and reactions."""

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graphql_schema import batches
from graphql_schema.batches import PageBatch, batched, on_the_loop, then
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput
from graphql_schema.groups.loaders import group_loaders
from graphql_schema.polls.loaders import poll_loaders
from graphql_schema.polls.types import Poll
from graphql_schema.posts.loaders import AUTHOR_VISIBLE
from graphql_schema.relay import NODE_ID_ATTR, Connection
from graphql_schema.users.types import User
from social import access
from social.models import Comment as CommentModel
from social.models import Post as PostModel
from social.models import ReactionKind as ReactionKindChoices

if TYPE_CHECKING:
    from graphql_schema.groups.types import Group

# How many latest comments a post shows in a list, at most.
LATEST_COMMENTS_MAX = 10
LATEST_COMMENTS_DEFAULT = 3

# Built from the model's choices, like Role: the two cannot drift apart.
ReactionKind = strawberry.enum(
    enum.Enum(
        "ReactionKind", {value: value for value in ReactionKindChoices.values}, type=str
    ),
    name="ReactionKind",
    description="How one reacts to a post or a comment.",
)
REACTION_KINDS_IN_ORDER = tuple(ReactionKindChoices.values)


@strawberry.type(description="How many people reacted with one kind of reaction.")
class ReactionCount:
    kind: ReactionKind
    count: int


def _reaction_counts(counts: dict[str, int]) -> list[ReactionCount]:
    """The kinds with at least one reaction, in the order of ReactionKind."""
    return [
        ReactionCount(kind=kind, count=counts[kind])
        for kind in REACTION_KINDS_IN_ORDER
        if counts.get(kind)
    ]


async def _viewer_can_delete(info: Info, author_id: int, group_id: int | None) -> bool:
    viewer = info.context.viewer
    if access.can_delete_content(viewer, author_id, None):
        return True
    if group_id is None or not access.is_signed_in(viewer):
        return False
    loader = info.context.loaders.viewer_memberships_by_group
    return access.can_delete_content(viewer, author_id, await loader.load(group_id))


@strawberry_django.type(
    CommentModel,
    name="Comment",
    description="A comment on a post, or a reply to a comment (one level deep).",
)
class Comment(relay.Node):
    _id_attr = NODE_ID_ATTR
    body: str = strawberry_django.field(description="The text, in Markdown.")
    body_html: str = strawberry_django.field(
        description="The body rendered to sanitised HTML (no scripts, safe links)."
    )
    created_at: datetime
    edited_at: datetime | None = strawberry_django.field(
        description="When its author last changed it; null if never."
    )

    @strawberry_django.field(only=["post"], description="The post it is on.")
    async def post(self, info: Info) -> "Post":
        return await info.context.loaders.posts_by_id.load(self.post_id)

    @strawberry_django.field(
        only=["author"],
        description="Who wrote it; null when the viewer may not see that person "
        "(a deactivated account, for agents).",
    )
    @on_the_loop
    def author(self, info: Info) -> User | None:
        visible = getattr(self, AUTHOR_VISIBLE, None)
        if visible is not None:  # joined by latest_comments_by_post
            return self.author if visible else None
        return info.context.loaders.users_by_id.get(self, self.author_id)

    @strawberry_django.field(
        only=["parent"],
        description="The comment it replies to; null for a top-level comment.",
    )
    async def parent(self, info: Info) -> "Comment | None":
        if self.parent_id is None:
            return None
        return await info.context.loaders.comments_by_id.load(self.parent_id)

    @strawberry_django.connection(
        Connection["Comment"],
        description="The replies to a top-level comment, oldest first (empty for "
        "a reply).",
    )
    @on_the_loop
    def replies(self, info: Info) -> Iterable[CommentModel]:
        def replies_of(comments: Iterable[int]) -> QuerySet[CommentModel]:
            return (
                access.comment_visible_to(info.context.viewer)
                .filter(parent_id__in=comments)
                .order_by("created_at", "pk")
            )

        return batches.connection_nodes(info, self, "parent_id", replies_of)

    @strawberry_django.field(only=[], description="How many replies it has.")
    @on_the_loop
    def reply_count(self, info: Info) -> int:
        return info.context.loaders.reply_counts_by_comment.get(self, self.pk)

    @strawberry_django.field(only=[], description="How many reactions it has.")
    @on_the_loop
    def reaction_count(self, info: Info) -> int:
        counts = info.context.loaders.reaction_counts_by_comment.get(self, self.pk)
        return then(counts, lambda counts: sum(counts.values()))

    @strawberry_django.field(
        only=[],
        description="The reactions by kind: only kinds with at least one, in the "
        "order of ReactionKind.",
    )
    @on_the_loop
    def reactions(self, info: Info) -> list[ReactionCount]:
        counts = info.context.loaders.reaction_counts_by_comment.get(self, self.pk)
        return then(counts, _reaction_counts)

    @strawberry_django.field(
        only=[], description="The viewer's reaction; null if none."
    )
    @on_the_loop
    def viewer_reaction(self, info: Info) -> ReactionKind | None:
        return info.context.loaders.viewer_reactions_by_comment.get(self, self.pk)

    @strawberry_django.field(
        only=["author"], description="Whether the viewer may edit it (its author)."
    )
    def viewer_can_edit(self, info: Info) -> bool:
        return access.can_edit_authored(info.context.viewer, self.author_id)

    @strawberry_django.field(
        only=["author", "post"],
        description="Whether the viewer may delete it: its author, an owner or "
        "admin of the post's group, or an organisation admin.",
    )
    async def viewer_can_delete(self, info: Info) -> bool:
        post = await info.context.loaders.posts_by_id.load(self.post_id)
        group_id = post.group_id if post is not None else None
        return await _viewer_can_delete(info, self.author_id, group_id)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.comment_visible_to(info.context.viewer, queryset)


@strawberry_django.type(
    PostModel,
    name="Post",
    description="A post in a group, or organisation-wide when `group` is null.",
)
class Post(relay.Node):
    _id_attr = NODE_ID_ATTR
    body: str = strawberry_django.field(description="The text, in Markdown.")
    body_html: str = strawberry_django.field(
        description="The body rendered to sanitised HTML (no scripts, safe links)."
    )
    created_at: datetime
    edited_at: datetime | None = strawberry_django.field(
        description="When its author last changed it; null if never."
    )
    is_announcement: bool = strawberry_django.field(
        description="An announcement of the communicators or administrators."
    )
    is_pinned: bool = strawberry_django.field(
        description="Pinned on top of its group (or of the organisation-wide feed)."
    )

    @strawberry_django.field(
        only=["group"],
        description="The group it was posted in; null for the whole organisation.",
    )
    @on_the_loop
    def group(
        self, info: Info
    ) -> Annotated["Group", strawberry.lazy("graphql_schema.groups.types")] | None:
        key = _group_key(self, {})
        if key is None:  # none, or joined with the post (a live event's)
            return self.group
        return group_loaders(info.context).groups_by_id.get(self, key)

    @strawberry_django.field(
        only=["author"],
        description="Who wrote it; null when the viewer may not see that person "
        "(a deactivated account, for agents).",
    )
    @on_the_loop
    def author(self, info: Info) -> User | None:
        if PostModel.author.is_cached(self):
            # Joined with the post (a live event's, read once for every
            # subscriber): the users' rule, for this viewer.
            author = self.author
            if author is None or not access.can_see_user(info.context.viewer, author):
                return None
            return author
        return info.context.loaders.users_by_id.get(self, self.author_id)

    @strawberry_django.field(
        only=[], description="How many comments and replies it has."
    )
    @on_the_loop
    def comment_count(self, info: Info) -> int:
        return info.context.loaders.comment_counts_by_post.get(self, self.pk)

    @strawberry_django.field(
        only=[], description="Its poll or quiz; null if it has none."
    )
    @on_the_loop
    def poll(self, info: Info) -> Poll | None:
        return poll_loaders(info.context).polls_by_post.get(self, self.pk)

    @strawberry_django.connection(
        Connection[Comment],
        description="Its top-level comments, oldest first (replies are under "
        "each comment). In a list of posts, every post's page is read in one "
        "query; `latestComments` is the lighter way to show a few.",
    )
    @on_the_loop
    def comments(self, info: Info) -> Iterable[CommentModel]:
        def comments_of(posts: Iterable[int]) -> QuerySet[CommentModel]:
            return (
                access.comment_visible_to(info.context.viewer)
                .filter(post_id__in=posts, parent__isnull=True)
                .order_by("created_at", "pk")
            )

        return batches.connection_nodes(info, self, "post_id", comments_of)

    @strawberry_django.field(
        only=[],
        description="Its `count` latest top-level comments (at most 10), oldest "
        "first: what a feed shows under a post. Batched for a whole page.",
    )
    @on_the_loop
    def latest_comments(
        self, info: Info, count: int = LATEST_COMMENTS_DEFAULT
    ) -> list[Comment]:
        if not 0 <= count <= LATEST_COMMENTS_MAX:
            raise BadUserInput(f"count must be between 0 and {LATEST_COMMENTS_MAX}.")
        if count == 0:
            return []
        loader = info.context.loaders.latest_comments_by_post
        return loader.get(self, (self.pk, count))

    @strawberry_django.field(only=[], description="How many reactions it has.")
    @on_the_loop
    def reaction_count(self, info: Info) -> int:
        counts = info.context.loaders.reaction_counts_by_post.get(self, self.pk)
        return then(counts, lambda counts: sum(counts.values()))

    @strawberry_django.field(
        only=[],
        description="The reactions by kind: only kinds with at least one, in the "
        "order of ReactionKind.",
    )
    @on_the_loop
    def reactions(self, info: Info) -> list[ReactionCount]:
        counts = info.context.loaders.reaction_counts_by_post.get(self, self.pk)
        return then(counts, _reaction_counts)

    @strawberry_django.field(
        only=[], description="The viewer's reaction; null if none."
    )
    @on_the_loop
    def viewer_reaction(self, info: Info) -> ReactionKind | None:
        return info.context.loaders.viewer_reactions_by_post.get(self, self.pk)

    @strawberry_django.field(
        only=["author"], description="Whether the viewer may edit it (its author)."
    )
    def viewer_can_edit(self, info: Info) -> bool:
        return access.can_edit_authored(info.context.viewer, self.author_id)

    @strawberry_django.field(
        only=["author", "group"],
        description="Whether the viewer may delete it: its author, an owner or "
        "admin of its group, or an organisation admin.",
    )
    async def viewer_can_delete(self, info: Info) -> bool:
        return await _viewer_can_delete(info, self.author_id, self.group_id)

    @strawberry_django.field(
        only=["group"],
        description="Whether the viewer may pin or unpin it: an owner or admin of "
        "its group; communicators and administrators organisation-wide.",
    )
    async def viewer_can_pin(self, info: Info) -> bool:
        viewer = info.context.viewer
        if self.group_id is None or not access.is_signed_in(viewer):
            return access.can_pin_post(viewer, self, None)
        loader = info.context.loaders.viewer_memberships_by_group
        return access.can_pin_post(viewer, self, await loader.load(self.group_id))

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.post_visible_to(info.context.viewer, queryset)


ReactionSubject = Annotated[
    Post | Comment,
    strawberry.union(
        "ReactionSubject", description="What one reacts to: a post or a comment."
    ),
]


# What a page of posts or comments shows, fetched with the page
# (graphql_schema.batches): the same loaders as the fields above.
def _pk(row: PostModel | CommentModel, arguments: dict) -> int:
    return row.pk


def _latest_key(post: PostModel, arguments: dict) -> tuple[int, int] | None:
    # A literal comes as its text (strawberry.types.nodes), a variable as its value.
    count = arguments.get("count")
    if count is None:  # not given, or a variable left out: `Int! = 3`
        count = LATEST_COMMENTS_DEFAULT
    if isinstance(count, str) and count.isdigit():
        count = int(count)
    if not isinstance(count, int) or not 0 < count <= LATEST_COMMENTS_MAX:
        return None  # the field answers (or refuses) without a query
    return (post.pk, count)


def _group_key(post: PostModel, arguments: dict) -> int | None:
    # Whoever may read a post may see its group: a group joined with the post
    # needs no fetch, nor a rule of its own.
    if post.group_id is None or PostModel.group.is_cached(post):
        return None
    return post.group_id


def _comment_author_key(comment: CommentModel, arguments: dict) -> int | None:
    if hasattr(comment, AUTHOR_VISIBLE):  # joined already
        return None
    return comment.author_id


batched(
    PostModel,
    author=PageBatch(lambda c: c.loaders.users_by_id, lambda p, a: p.author_id),
    group=PageBatch(lambda c: group_loaders(c).groups_by_id, _group_key),
    commentCount=PageBatch(lambda c: c.loaders.comment_counts_by_post, _pk),
    reactionCount=PageBatch(lambda c: c.loaders.reaction_counts_by_post, _pk),
    reactions=PageBatch(lambda c: c.loaders.reaction_counts_by_post, _pk),
    viewerReaction=PageBatch(lambda c: c.loaders.viewer_reactions_by_post, _pk),
    poll=PageBatch(lambda c: poll_loaders(c).polls_by_post, _pk),
    latestComments=PageBatch(lambda c: c.loaders.latest_comments_by_post, _latest_key),
)
batched(
    CommentModel,
    author=PageBatch(lambda c: c.loaders.users_by_id, _comment_author_key),
    replyCount=PageBatch(lambda c: c.loaders.reply_counts_by_comment, _pk),
    reactionCount=PageBatch(lambda c: c.loaders.reaction_counts_by_comment, _pk),
    reactions=PageBatch(lambda c: c.loaders.reaction_counts_by_comment, _pk),
    viewerReaction=PageBatch(lambda c: c.loaders.viewer_reactions_by_comment, _pk),
)
