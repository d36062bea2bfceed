"""GraphQL types of people."""

import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graphql_schema.context import Info
from social import access
from social.models import User as UserModel


@strawberry_django.type(
    UserModel, name="User", description="A person of the organisation."
)
class User(relay.Node):
    username: str
    display_name: str
    first_name: str
    last_name: str

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return queryset & access.user_visible_to(info.context.viewer)
