"""Queries on groups: the list of groups, and one group by its slug."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from django.db.models import Q, QuerySet
from strawberry_django.optimizer import optimize

from graphql_schema.context import Info
from graphql_schema.groups.types import Group, GroupKind, MembershipFilter
from graphql_schema.relay import Connection
from social import access
from social.models import Group as GroupModel
from social.slugs import accent_insensitive_pattern

QUERY_MAX_LENGTH = 200
QUERY_MAX_WORDS = 10


def group_search(queryset: QuerySet[GroupModel], query: str) -> QuerySet[GroupModel]:
    """Keep the groups whose name or description contains every word of `query`,
    ignoring accents and case ("cafe" finds "La Machine à café").

    Groups have no folded column: each word becomes a regular expression that
    matches its accented forms, run by the database (SQLite and PostgreSQL alike).
    """
    for word in query[:QUERY_MAX_LENGTH].split()[:QUERY_MAX_WORDS]:
        pattern = accent_insensitive_pattern(word)
        if pattern:
            queryset = queryset.filter(
                Q(name__regex=pattern) | Q(description__regex=pattern)
            )
    return queryset


@strawberry.type
class GroupQueries:
    @strawberry_django.connection(
        Connection[Group],
        description=(
            "The groups the viewer may see, by name: public and private ones, and "
            "the secret ones they are in. `query` matches the name or description, "
            "ignoring accents and case (every word must match); `kind` narrows it "
            "down; `membership: MEMBER` keeps the viewer's own groups."
        ),
    )
    def groups(
        self,
        info: Info,
        query: str | None = None,
        kind: GroupKind | None = None,
        membership: MembershipFilter = MembershipFilter.ALL,
    ) -> Iterable[GroupModel]:
        viewer = info.context.viewer
        groups = access.group_visible_to(viewer)
        if membership == MembershipFilter.MEMBER:
            groups = groups.filter(pk__in=access.active_group_ids(viewer))
        if kind is not None:
            groups = groups.filter(kind=kind.value)
        if query:
            groups = group_search(groups, query)
        return groups.order_by("name", "pk")

    @strawberry_django.field(
        description="A group by its slug; null if there is none the viewer may see."
    )
    def group(self, info: Info, slug: str) -> Group | None:
        groups = access.group_visible_to(info.context.viewer).filter(slug=slug)
        return optimize(groups, info).first()
