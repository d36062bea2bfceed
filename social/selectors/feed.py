"""The news feed: what the viewer reads, newest first, pinned posts on top."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from social import access
from social.models import Group, Post

# The posts pinned on top: in the news feed, the organisation-wide announcements;
# in a group, its own pinned posts.
FEED_PINNED = Q(group__isnull=True, is_pinned=True)
GROUP_PINNED = Q(is_pinned=True)


def pinned_rank(pinned: Q) -> Case:
    """1 for a post `pinned` puts on top, 0 for the others."""
    return Case(
        When(pinned, then=Value(1)), default=Value(0), output_field=IntegerField()
    )


def _pinned_first(queryset: QuerySet[Post], pinned: Q) -> QuerySet[Post]:
    # Ordered by the rank itself, not by an annotation of it: keyset cursors
    # carry it all the same (strawberry-django selects each ordering term that
    # is not a column, as `_strawberry_order_field_0`), so a post pinned or
    # unpinned between two pages moves and the others keep their place. An
    # annotation was selected and compiled twice, under both names.
    return queryset.order_by(pinned_rank(pinned).desc(), "-created_at", "-pk")


def feed_for(viewer: access.Viewer | None) -> QuerySet[Post]:
    """The organisation-wide posts and those of the viewer's groups; the pinned
    organisation-wide posts (announcements) first, then newest first; none for
    a client that is not signed in.

    Every one of them is a post the viewer may read (access.post_visible_to
    admits the organisation-wide posts and those of the viewer's groups), but
    the rule is not applied here: the Post type's `get_queryset` applies it to
    the feed as to every list of posts (applied here as well, its conditions
    were built, compiled and evaluated twice a page). Outside the schema, read
    `access.post_visible_to(viewer, feed_for(viewer))`."""
    if not access.is_signed_in(viewer):
        return Post.objects.none()
    posts = Post.objects.filter(
        Q(group__isnull=True) | Q(group_id__in=access.active_group_ids(viewer))
    )
    return _pinned_first(posts, FEED_PINNED)


def group_posts(
    viewer: access.Viewer | None, group: Group | QuerySet[Group]
) -> QuerySet[Post]:
    """The posts of one group the viewer may read (none otherwise); the group's
    pinned posts first, then newest first. `group` may be a queryset of (at
    most) that group, read as a subquery of the same query."""
    posts = access.post_visible_to(viewer)
    if isinstance(group, QuerySet):
        posts = posts.filter(group__in=group.values("pk"))
    else:
        posts = posts.filter(group=group)
    return _pinned_first(posts, GROUP_PINNED)
