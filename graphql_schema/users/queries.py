"""Queries on people."""

import strawberry
import strawberry_django

from graphql_schema.context import Info
from graphql_schema.relay import Connection
from graphql_schema.users.types import User
from social import access


@strawberry.type
class UserQueries:
    @strawberry_django.field(description="The signed-in user, or null.")
    def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return viewer if access.is_signed_in(viewer) else None

    @strawberry_django.connection(Connection[User], description="The directory.")
    def users(self, info: Info) -> list[User]:
        return access.user_visible_to(info.context.viewer).order_by(
            "display_name", "pk"
        )
