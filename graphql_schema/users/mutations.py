"""Mutations on people: the own profile, and administration."""

import strawberry
from asgiref.sync import sync_to_async
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.enums import Role
from graphql_schema.errors import NotAuthenticated, UserError, user_errors
from graphql_schema.ids import pk_of
from graphql_schema.inputs import given
from graphql_schema.users.types import User
from social.actions.users import (
    UNCHANGED,
    user_deactivate,
    user_reactivate,
    user_set_role,
    user_update_profile,
)
from social.errors import DomainError, DomainErrors


@strawberry.input(
    description="Fields to change; a field left out stays as it is. An empty "
    "string clears an optional text field; a null departmentId or siteId removes it."
)
class UpdateProfileInput:
    display_name: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    department_id: relay.GlobalID | None = strawberry.UNSET
    site_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.type
class UpdateProfilePayload:
    user: User | None
    errors: list[UserError]


@strawberry.input
class DeactivateUserInput:
    user_id: relay.GlobalID


@strawberry.type
class DeactivateUserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.input
class ReactivateUserInput:
    user_id: relay.GlobalID


@strawberry.type
class ReactivateUserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.input
class SetUserRoleInput:
    user_id: relay.GlobalID
    role: Role


@strawberry.type
class SetUserRolePayload:
    user: User | None
    errors: list[UserError]


def _optional_pk(value: relay.GlobalID | None, type_name: str, field: str):
    """UNCHANGED when left out, None when null, else the key (or NOT_FOUND)."""
    if value is strawberry.UNSET:
        return UNCHANGED
    if value is None:
        return None
    return pk_of(value, type_name, field)


def _update_profile(actor, input: UpdateProfileInput):
    return user_update_profile(
        actor=actor,
        display_name=given(input.display_name),
        first_name=given(input.first_name),
        last_name=given(input.last_name),
        job_title=given(input.job_title),
        phone=given(input.phone),
        email=given(input.email),
        department_id=_optional_pk(input.department_id, "Department", "departmentId"),
        site_id=_optional_pk(input.site_id, "Site", "siteId"),
    )


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Change the signed-in user's own profile (not their role)."
    )
    async def update_profile(
        self, info: Info, input: UpdateProfileInput
    ) -> UpdateProfilePayload:
        if not info.context.is_signed_in:
            raise NotAuthenticated
        try:
            user = await sync_to_async(_update_profile)(info.context.viewer, input)
        except (DomainError, DomainErrors) as error:
            return UpdateProfilePayload(user=None, errors=user_errors(error))
        return UpdateProfilePayload(user=user, errors=[])

    @strawberry.mutation(
        description="Deactivate a user and sign them out of every device at once "
        "(administrators only; not themselves)."
    )
    async def deactivate_user(
        self, info: Info, input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        if not info.context.is_signed_in:
            raise NotAuthenticated
        try:
            user = await sync_to_async(user_deactivate)(
                actor=info.context.viewer,
                user_id=pk_of(input.user_id, "User", "userId"),
            )
        except (DomainError, DomainErrors) as error:
            return DeactivateUserPayload(user=None, errors=user_errors(error))
        return DeactivateUserPayload(user=user, errors=[])

    @strawberry.mutation(
        description="Reactivate a deactivated user (administrators only); they "
        "sign in again."
    )
    async def reactivate_user(
        self, info: Info, input: ReactivateUserInput
    ) -> ReactivateUserPayload:
        if not info.context.is_signed_in:
            raise NotAuthenticated
        try:
            user = await sync_to_async(user_reactivate)(
                actor=info.context.viewer,
                user_id=pk_of(input.user_id, "User", "userId"),
            )
        except (DomainError, DomainErrors) as error:
            return ReactivateUserPayload(user=None, errors=user_errors(error))
        return ReactivateUserPayload(user=user, errors=[])

    @strawberry.mutation(
        description="Give a user an organisation-wide role (administrators only; "
        "not themselves)."
    )
    async def set_user_role(
        self, info: Info, input: SetUserRoleInput
    ) -> SetUserRolePayload:
        if not info.context.is_signed_in:
            raise NotAuthenticated
        try:
            user = await sync_to_async(user_set_role)(
                actor=info.context.viewer,
                user_id=pk_of(input.user_id, "User", "userId"),
                role=input.role,
            )
        except (DomainError, DomainErrors) as error:
            return SetUserRolePayload(user=None, errors=user_errors(error))
        return SetUserRolePayload(user=user, errors=[])
