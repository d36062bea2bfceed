"""GraphQL types of the organisation's structure: departments and sites."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from django.conf import settings
from django.db.models import QuerySet
from strawberry import relay

from graphql_schema import batches
from graphql_schema.batches import on_the_loop
from graphql_schema.context import Info
from graphql_schema.relay import NODE_ID_ATTR, Connection
from graphql_schema.users.types import User
from social import access
from social.models import Department as DepartmentModel
from social.models import Site as SiteModel
from social.models import User as UserModel


@strawberry_django.type(
    DepartmentModel,
    name="Department",
    description="A municipal service, such as Espaces verts or État civil.",
)
class Department(relay.Node):
    _id_attr = NODE_ID_ATTR
    name: str
    slug: str

    @strawberry_django.connection(
        Connection[User],
        description="The people of this service the viewer may see, by display name.",
    )
    @on_the_loop
    def members(self, info: Info) -> Iterable[UserModel]:
        def members_of(departments: Iterable[int]) -> QuerySet[UserModel]:
            return (
                access.user_visible_to(info.context.viewer)
                .filter(department_id__in=departments)
                .order_by("display_name", "pk")
            )

        return batches.connection_nodes(info, self, "department_id", members_of)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.department_visible_to(info.context.viewer, queryset)


@strawberry_django.type(SiteModel, name="Site", description="A place of work.")
class Site(relay.Node):
    _id_attr = NODE_ID_ATTR
    name: str
    address: str = strawberry_django.field(
        description="The postal address, or an empty string when unknown."
    )

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.site_visible_to(info.context.viewer, queryset)


@strawberry.type(description="The organisation: its name, services and sites.")
class Organization:
    name: str

    @strawberry_django.field(description="Every department, by name.")
    def departments(self, info: Info) -> list[Department]:
        return access.department_visible_to(info.context.viewer).order_by("name")

    @strawberry_django.field(description="Every site, by name.")
    def sites(self, info: Info) -> list[Site]:
        return access.site_visible_to(info.context.viewer).order_by("name")


def organization_name() -> str:
    """The organisation's name (setting ORGANIZATION_NAME)."""
    return settings.ORGANIZATION_NAME
