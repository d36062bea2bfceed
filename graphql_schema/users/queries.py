"""Queries on people: the viewer and the directory."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.ids import argument_pk
from graphql_schema.relay import Connection
from graphql_schema.users.types import User
from social import access
from social.models import User as UserModel
from social.selectors.directory import directory_search


@strawberry.type
class UserQueries:
    @strawberry_django.field(description="The signed-in user, or null.")
    def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return viewer if access.is_signed_in(viewer) else None

    @strawberry_django.connection(
        Connection[User],
        description=(
            "The directory: the people the viewer may see, by display name. "
            "`query` matches names, ignoring accents and case (every word must "
            "match); `departmentId` and `siteId` narrow it down. Administrators "
            "also see deactivated people (`isActive: false`)."
        ),
    )
    def users(
        self,
        info: Info,
        query: str | None = None,
        department_id: relay.GlobalID | None = None,
        site_id: relay.GlobalID | None = None,
    ) -> Iterable[UserModel]:
        users = access.user_visible_to(info.context.viewer)
        department_pk = argument_pk(department_id, "Department", "departmentId")
        if department_pk is not None:
            users = users.filter(department_id=department_pk)
        site_pk = argument_pk(site_id, "Site", "siteId")
        if site_pk is not None:
            users = users.filter(site_id=site_pk)
        if query:
            users = directory_search(users, query)
        return users.order_by("display_name", "pk")
