"""Queries on the organisation's structure."""

import strawberry

from graphql_schema.context import Info
from graphql_schema.org.types import Organization, organization_name
from social import access


@strawberry.type
class OrgQueries:
    @strawberry.field(
        description="The organisation with its departments and sites; null when "
        "nobody is signed in, like `viewer`."
    )
    def organization(self, info: Info) -> Organization | None:
        if not access.can_see_organization(info.context.viewer):
            return None
        return Organization(name=organization_name())
