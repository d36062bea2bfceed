"""GraphQL types of people."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.enums import Role
from graphql_schema.relay import NODE_ID_ATTR
from social import access
from social.models import User as UserModel

if TYPE_CHECKING:
    from graphql_schema.org.types import Department, Site


@strawberry_django.type(
    UserModel, name="User", description="A person of the organisation."
)
class User(relay.Node):
    _id_attr = NODE_ID_ATTR
    username: str
    display_name: str
    first_name: str
    last_name: str
    job_title: str = strawberry_django.field(
        description="The job title, or an empty string when unknown."
    )
    department: (
        Annotated["Department", strawberry.lazy("graphql_schema.org.types")] | None
    ) = strawberry_django.field(description="The municipal service they work in.")
    site: Annotated["Site", strawberry.lazy("graphql_schema.org.types")] | None = (
        strawberry_django.field(description="Where they work.")
    )
    role: Role = strawberry_django.field(
        description="What they may do organisation-wide."
    )
    is_active: bool = strawberry_django.field(
        description="False once an administrator deactivated the account; only "
        "administrators see deactivated users."
    )
    last_seen_at: datetime | None = strawberry_django.field(
        description="When they last used Parvis, if ever."
    )

    @strawberry_django.field(
        only=["email"],
        description="Their email: shown to themselves and administrators only, "
        "null for others and when they have none.",
    )
    def email(self, info: Info) -> str | None:
        if not access.can_see_contact_details(info.context.viewer, self):
            return None
        return self.email or None

    @strawberry_django.field(
        only=["phone"],
        description="Their phone number, normalised (digits, optional leading +): "
        "shown to themselves and administrators only, null for others and when "
        "they have none.",
    )
    def phone(self, info: Info) -> str | None:
        if not access.can_see_contact_details(info.context.viewer, self):
            return None
        return self.phone or None

    @strawberry_django.field(
        only=[],
        description="The URL of their picture; always null until pictures exist.",
    )
    def avatar_url(self) -> str | None:
        return None

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.user_visible_to(info.context.viewer, queryset)
