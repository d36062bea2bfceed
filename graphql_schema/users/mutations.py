"""Mutations on people."""

import strawberry
from asgiref.sync import sync_to_async

from graphql_schema.context import Info
from graphql_schema.errors import NotAuthenticated, UserError, user_errors
from graphql_schema.inputs import given
from graphql_schema.users.types import User
from social.actions.users import user_update_profile
from social.errors import DomainError, DomainErrors


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = strawberry.UNSET


@strawberry.type
class UpdateProfilePayload:
    user: User | None
    errors: list[UserError]


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Change the signed-in user's own profile.")
    async def update_profile(
        self, info: Info, input: UpdateProfileInput
    ) -> UpdateProfilePayload:
        if not info.context.is_signed_in:
            raise NotAuthenticated
        try:
            user = await sync_to_async(user_update_profile)(
                actor=info.context.viewer,
                display_name=given(input.display_name),
            )
        except (DomainError, DomainErrors) as error:
            return UpdateProfilePayload(user=None, errors=user_errors(error))
        return UpdateProfilePayload(user=user, errors=[])
