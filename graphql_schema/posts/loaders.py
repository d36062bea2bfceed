"""Dataloaders of the posts area: counts and viewer state, one query per page.

Each loader batches the keys asked for in one tick of the event loop into one SQL
query, whatever the page size. They do not cache (`cache=False`): a socket keeps
its context for hours, and a mutation must read what it just wrote.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber

from graphql_schema.batches import BatchLoader
from social import access
from social.models import Comment, Membership, Post, Reaction, User

if TYPE_CHECKING:
    from graphql_schema.context import Context

# On comments loaded with their authors joined: whether the viewer may see the
# author (access.user_visible_to), read by Comment.author.
AUTHOR_VISIBLE = "author_visible_to_viewer"


def _counts_by(rows: Iterable[dict], key: str) -> dict[int, int]:
    return {row[key]: row["n"] for row in rows}


def _kinds_by(rows: Iterable[dict], key: str) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row[key]][row["kind"]] = row["n"]
    return counts


class Loaders:
    """The loaders of one context (an HTTP request or a socket)."""

    def __init__(self, context: "Context") -> None:
        self.context = context
        self.users_by_id = BatchLoader(self._users_by_id)
        self.posts_by_id = BatchLoader(self._posts_by_id)
        self.comments_by_id = BatchLoader(self._comments_by_id)
        self.comment_counts_by_post = BatchLoader(self._comment_counts_by_post, int)
        self.reply_counts_by_comment = BatchLoader(self._reply_counts_by_comment, int)
        self.reaction_counts_by_post = BatchLoader(self._reaction_counts_by_post, dict)
        self.reaction_counts_by_comment = BatchLoader(
            self._reaction_counts_by_comment, dict
        )
        self.viewer_reactions_by_post = BatchLoader(self._viewer_reactions_by_post)
        self.viewer_reactions_by_comment = BatchLoader(
            self._viewer_reactions_by_comment
        )
        self.viewer_memberships_by_group = BatchLoader(
            self._viewer_memberships_by_group
        )
        self.latest_comments_by_post = BatchLoader(self._latest_comments_by_post, list)

    @property
    def viewer(self) -> access.Viewer:
        # Read at load time: a socket learns its viewer after the context is made.
        return self.context.viewer

    def _users_by_id(self, keys: list[int]) -> dict[int, User]:
        # Every signed-in user sees every department and site: joined, not
        # fetched one by one by User.department and User.site.
        users = (
            access.user_visible_to(self.viewer)
            .filter(pk__in=keys)
            .select_related("department", "site")
        )
        return {user.pk: user for user in users}

    def _posts_by_id(self, keys: list[int]) -> dict[int, Post]:
        posts = access.post_visible_to(self.viewer).filter(pk__in=keys)
        return {post.pk: post for post in posts}

    def _comments_by_id(self, keys: list[int]) -> dict[int, Comment]:
        comments = access.comment_visible_to(self.viewer).filter(pk__in=keys)
        return {comment.pk: comment for comment in comments}

    def _comment_counts_by_post(self, keys: list[int]) -> dict[int, int]:
        rows = (
            Comment.objects.filter(post_id__in=keys)
            .values("post_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _counts_by(rows, "post_id")

    def _reply_counts_by_comment(self, keys: list[int]) -> dict[int, int]:
        rows = (
            Comment.objects.filter(parent_id__in=keys)
            .values("parent_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _counts_by(rows, "parent_id")

    def _reaction_counts_by_post(self, keys: list[int]) -> dict[int, dict[str, int]]:
        rows = (
            Reaction.objects.filter(post_id__in=keys)
            .values("post_id", "kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _kinds_by(rows, "post_id")

    def _reaction_counts_by_comment(self, keys: list[int]) -> dict[int, dict[str, int]]:
        rows = (
            Reaction.objects.filter(comment_id__in=keys)
            .values("comment_id", "kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _kinds_by(rows, "comment_id")

    def _viewer_reactions_by_post(self, keys: list[int]) -> dict[int, str]:
        if not access.is_signed_in(self.viewer):
            return {}
        rows = Reaction.objects.filter(user_id=self.viewer.pk, post_id__in=keys)
        return dict(rows.values_list("post_id", "kind"))

    def _viewer_reactions_by_comment(self, keys: list[int]) -> dict[int, str]:
        if not access.is_signed_in(self.viewer):
            return {}
        rows = Reaction.objects.filter(user_id=self.viewer.pk, comment_id__in=keys)
        return dict(rows.values_list("comment_id", "kind"))

    def _viewer_memberships_by_group(self, keys: list[int]) -> dict[int, Membership]:
        if not access.is_signed_in(self.viewer):
            return {}
        memberships = Membership.objects.filter(
            user_id=self.viewer.pk, group_id__in=keys
        )
        return {membership.group_id: membership for membership in memberships}

    def _latest_comments_by_post(
        self, keys: list[tuple[int, int]]
    ) -> dict[tuple[int, int], list[Comment]]:
        """The `count` latest top-level comments of each post, oldest first; keys
        are (post id, count), one query per distinct count, with the authors
        joined (a page's comment authors cost no query of their own)."""
        found: dict[tuple[int, int], list[Comment]] = {}
        post_ids_by_count: dict[int, set[int]] = defaultdict(set)
        for post_id, count in keys:
            post_ids_by_count[count].add(post_id)
        for count, post_ids in post_ids_by_count.items():
            if count <= 0:
                continue
            ranked = (
                access.comment_visible_to(self.viewer)
                .filter(post_id__in=post_ids, parent__isnull=True)
                .select_related("author__department", "author__site")
                .annotate(
                    **{
                        AUTHOR_VISIBLE: Exists(
                            access.user_visible_to(self.viewer).filter(
                                pk=OuterRef("author_id")
                            )
                        )
                    },
                    recency=Window(
                        RowNumber(),
                        partition_by=[F("post_id")],
                        order_by=[F("created_at").desc(), F("pk").desc()],
                    ),
                )
                .filter(recency__lte=count)
                .order_by("post_id", "created_at", "pk")
            )
            for comment in ranked:
                found.setdefault((comment.post_id, count), []).append(comment)
        return found
