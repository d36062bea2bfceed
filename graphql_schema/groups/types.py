"""GraphQL types of groups and their members."""

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from strawberry import relay

from graphql_schema import batches
from graphql_schema.batches import on_the_loop
from graphql_schema.context import Info
from graphql_schema.relay import NODE_ID_ATTR, Connection
from graphql_schema.users.types import User
from social import access
from social.models import Group as GroupModel
from social.models import GroupKind as GroupKindChoices
from social.models import GroupRole as GroupRoleChoices
from social.models import Membership, MembershipStatus
from social.models import Post as PostModel
from social.models import Visibility as VisibilityChoices
from social.selectors.feed import group_posts

if TYPE_CHECKING:
    from graphql_schema.org.types import Department
    from graphql_schema.posts.types import Post


def _enum(choices: type, name: str, description: str):
    # Plain str enums built from the models' TextChoices, as graphql_schema.enums.
    values = {value: value for value in choices.values}
    return strawberry.enum(
        enum.Enum(name, values, type=str), name=name, description=description
    )


GroupKind = _enum(GroupKindChoices, "GroupKind", "What a group gathers people around.")
Visibility = _enum(
    VisibilityChoices,
    "Visibility",
    "PUBLIC: every signed-in user reads and joins it. PRIVATE: listed, its "
    "content is for members, joining needs a moderator's approval. SECRET: "
    "invisible to non-members, who are added by a moderator.",
)
GroupRole = _enum(
    GroupRoleChoices,
    "GroupRole",
    "A member's role: owners and admins moderate the group; only owners make "
    "or unmake owners.",
)


@strawberry.enum(description="Which groups `groups` lists.")
class MembershipFilter(enum.Enum):
    MEMBER = "MEMBER"
    ALL = "ALL"


# --- The viewer's place in a group, and counts, as annotations --------------------
#
# On a page of groups these are correlated subqueries of the page's one query;
# a post's group gets those its page selects from the groups loader
# (graphql_schema.groups.loaders). A group loaded otherwise (a mutation's
# payload) falls back to one query per field.

MEMBER_COUNT = "annotated_member_count"
VIEWER_ROLE = "annotated_viewer_role"
VIEWER_STATUS = "annotated_viewer_status"


def active_members() -> QuerySet[Membership]:
    """The active memberships of active accounts: the members who count."""
    return Membership.objects.filter(
        status=MembershipStatus.ACTIVE, user__is_active=True
    )


def _member_count(viewer: access.Viewer):
    counted = (
        active_members()
        .filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), Value(0))


def _viewer_membership(viewer: access.Viewer) -> QuerySet[Membership]:
    return Membership.objects.filter(group=OuterRef("pk"), user_id=viewer.pk)


# Each annotation, made for a viewer.
ANNOTATIONS = {
    MEMBER_COUNT: _member_count,
    VIEWER_ROLE: lambda viewer: Subquery(_viewer_membership(viewer).values("role")[:1]),
    VIEWER_STATUS: lambda viewer: Subquery(
        _viewer_membership(viewer).values("status")[:1]
    ),
}

# The annotations each field reads, by GraphQL name: the fields declare them to
# the optimizer (`annotate=`), and the groups loader adds those that a page of
# posts selects on their groups.
ANNOTATED_FIELDS = {
    "memberCount": (MEMBER_COUNT,),
    "viewerRole": (VIEWER_ROLE, VIEWER_STATUS),
    "viewerIsMember": (VIEWER_ROLE, VIEWER_STATUS),
    "viewerHasPendingRequest": (VIEWER_ROLE, VIEWER_STATUS),
}


def _annotate(field: str) -> dict:
    """A field's `annotate=`: its annotations, made for the operation's viewer."""
    return {
        name: (lambda info, make=ANNOTATIONS[name]: make(info.context.viewer))
        for name in ANNOTATED_FIELDS[field]
    }


def _viewer_state(group: GroupModel, info: Info) -> tuple[str | None, str | None]:
    """The viewer's (role, status) in `group`, or (None, None)."""
    if hasattr(group, VIEWER_ROLE) and hasattr(group, VIEWER_STATUS):
        return getattr(group, VIEWER_ROLE), getattr(group, VIEWER_STATUS)
    membership = access.membership_of(info.context.viewer, group)
    if membership is None:
        return None, None
    return membership.role, membership.status


@strawberry_django.type(
    Membership,
    name="GroupMember",
    description="A person's place in a group: an active member, or a request to "
    "join (in `pendingRequests`).",
)
class GroupMember(relay.Node):
    _id_attr = NODE_ID_ATTR
    user: User
    group: Annotated["Group", strawberry.lazy("graphql_schema.groups.types")]
    role: GroupRole
    created_at: datetime = strawberry_django.field(
        description="When they joined, or asked to join."
    )

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.membership_visible_to(info.context.viewer, queryset)


@strawberry_django.type(
    GroupModel,
    name="Group",
    description="A group by topic, project, department or for fun. A secret "
    "group exists only for its members.",
)
class Group(relay.Node):
    _id_attr = NODE_ID_ATTR
    name: str
    slug: str = strawberry_django.field(
        description="Unique, made from the name at creation; kept when renamed."
    )
    description: str
    kind: GroupKind
    visibility: Visibility
    department: (
        Annotated["Department", strawberry.lazy("graphql_schema.org.types")] | None
    ) = strawberry_django.field(description="The service the group is about, if any.")
    created_at: datetime

    @strawberry_django.field(
        annotate=_annotate("memberCount"),
        description="How many active members it has (shown to whoever sees the "
        "group, even when its members are not).",
    )
    def member_count(self, info: Info) -> int:
        if hasattr(self, MEMBER_COUNT):
            return getattr(self, MEMBER_COUNT)
        return active_members().filter(group=self).count()

    @strawberry_django.field(
        annotate=_annotate("viewerRole"),
        description="The viewer's role; null unless they are an active member.",
    )
    def viewer_role(self, info: Info) -> GroupRole | None:
        role, status = _viewer_state(self, info)
        return role if status == MembershipStatus.ACTIVE else None

    @strawberry_django.field(
        annotate=_annotate("viewerIsMember"),
        description="Whether the viewer is an active member.",
    )
    def viewer_is_member(self, info: Info) -> bool:
        return _viewer_state(self, info)[1] == MembershipStatus.ACTIVE

    @strawberry_django.field(
        annotate=_annotate("viewerHasPendingRequest"),
        description="Whether the viewer asked to join and awaits approval.",
    )
    def viewer_has_pending_request(self, info: Info) -> bool:
        return _viewer_state(self, info)[1] == MembershipStatus.PENDING

    @strawberry_django.connection(
        Connection[GroupMember],
        description="Its active members, in the order they joined; empty for "
        "whoever may not read the group's content (outsiders of a private group).",
    )
    @on_the_loop
    def members(self, info: Info) -> Iterable[Membership]:
        def members_of(groups: Iterable[int]) -> QuerySet[Membership]:
            return (
                access.membership_visible_to(info.context.viewer)
                .filter(status=MembershipStatus.ACTIVE, group__in=groups)
                .order_by("created_at", "pk")
            )

        return batches.connection_nodes(info, self, "group_id", members_of)

    @strawberry_django.connection(
        Connection[GroupMember],
        description="Requests to join, oldest first: for the group's owners and "
        "admins; empty for everyone else.",
    )
    @on_the_loop
    def pending_requests(self, info: Info) -> Iterable[Membership]:
        viewer = info.context.viewer
        if not access.is_signed_in(viewer):
            return Membership.objects.none()

        def requests_of(groups: Iterable[int]) -> QuerySet[Membership]:
            return (
                access.membership_visible_to(viewer)
                .filter(
                    status=MembershipStatus.PENDING,
                    group__in=groups,
                    group_id__in=access.moderated_group_ids(viewer),
                )
                .order_by("created_at", "pk")
            )

        return batches.connection_nodes(info, self, "group_id", requests_of)

    @strawberry_django.connection(
        Connection[Annotated["Post", strawberry.lazy("graphql_schema.posts.types")]],
        description="Its posts, pinned ones first, then newest first; empty for "
        "whoever may not read the group's content. Cursors stay valid while new "
        "posts arrive.",
    )
    @on_the_loop
    def posts(self, info: Info) -> Iterable[PostModel]:
        viewer = info.context.viewer
        return batches.connection_nodes(
            info,
            self,
            "group_id",
            lambda pks: group_posts(viewer, GroupModel.objects.filter(pk__in=pks)),
            lambda: group_posts(viewer, self),
        )

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.group_visible_to(info.context.viewer, queryset)
