"""Dataloaders of groups: the groups of a page of posts in one query, with the
counts and the viewer's place that the page selects (graphql_schema.batches)."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from graphql_schema.batches import BatchLoader, kept_loaders, selected_names
from graphql_schema.groups.types import ANNOTATED_FIELDS, ANNOTATIONS
from social import access
from social.models import Group

if TYPE_CHECKING:
    from graphql_schema.context import Context

# What a group's fields need beyond its row: their annotations, and its
# department joined.
DEPARTMENT = "department"
EVERYTHING = frozenset({*ANNOTATIONS, DEPARTMENT})


def needs_of(selections: list) -> frozenset[str]:
    """What the fields selected on a group need (a page batch's `narrow`)."""
    needs: set[str] = set()
    for name in selected_names(selections):
        needs.update(ANNOTATED_FIELDS.get(name, ()))
        if name == DEPARTMENT:
            needs.add(DEPARTMENT)
    return frozenset(needs)


def groups_with(
    groups: QuerySet[Group], viewer: access.Viewer, needs: Iterable[str]
) -> QuerySet[Group]:
    """`groups` with what `needs` names: annotations, the department joined."""
    needs = set(needs)
    annotations = {name: ANNOTATIONS[name](viewer) for name in needs & set(ANNOTATIONS)}
    if annotations:
        groups = groups.annotate(**annotations)
    if DEPARTMENT in needs:
        # Every signed-in user sees every department (access.department_visible_to,
        # tests/social/test_access_users.py), and whoever sees a group is signed
        # in: the join needs no rule of its own.
        groups = groups.select_related(DEPARTMENT)
    return groups


class GroupLoaders:
    """The group loaders of one context, kept beside its `loaders`."""

    def __init__(self, context: "Context") -> None:
        self.context = context
        self.groups_by_id = BatchLoader(self._groups_by_id, narrow=needs_of)

    @property
    def viewer(self) -> access.Viewer:
        return self.context.viewer

    def _groups_by_id(
        self, keys: list[int], needs: frozenset[str] = EVERYTHING
    ) -> dict[int, Group]:
        groups = access.group_visible_to(self.viewer).filter(pk__in=keys)
        return {group.pk: group for group in groups_with(groups, self.viewer, needs)}


def group_loaders(context: "Context") -> GroupLoaders:
    """The group loaders of the request or socket, made on first use."""
    return kept_loaders(context, "groups", GroupLoaders)
