"""Mutations on people: the own profile, and administration."""

from collections.abc import Callable
from typing import TypeVar

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.enums import Role
from graphql_schema.errors import UserError, perform, signed_in_viewer
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

T = TypeVar("T")


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


def _update_profile(*, actor, input: UpdateProfileInput):
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


def _on_user(action: Callable[..., T]) -> Callable[..., T]:
    """`action`, taking the global ID of its user; `perform` runs the conversion,
    so a wrong ID becomes a payload error like any refusal of the action."""

    def call(*, user_id: relay.GlobalID, **kwargs) -> T:
        return action(user_id=pk_of(user_id, "User", "userId"), **kwargs)

    return call


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description="Change the signed-in user's own profile (not their role)."
    )
    async def update_profile(
        self, info: Info, input: UpdateProfileInput
    ) -> UpdateProfilePayload:
        viewer = signed_in_viewer(info)
        user, errors = await perform(_update_profile, actor=viewer, input=input)
        return UpdateProfilePayload(user=user, errors=errors)

    @strawberry.mutation(
        description="Deactivate a user and sign them out of every device at once "
        "(administrators only; not themselves)."
    )
    async def deactivate_user(
        self, info: Info, input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        viewer = signed_in_viewer(info)
        user, errors = await perform(
            _on_user(user_deactivate), actor=viewer, user_id=input.user_id
        )
        return DeactivateUserPayload(user=user, errors=errors)

    @strawberry.mutation(
        description="Reactivate a deactivated user (administrators only); they "
        "sign in again."
    )
    async def reactivate_user(
        self, info: Info, input: ReactivateUserInput
    ) -> ReactivateUserPayload:
        viewer = signed_in_viewer(info)
        user, errors = await perform(
            _on_user(user_reactivate), actor=viewer, user_id=input.user_id
        )
        return ReactivateUserPayload(user=user, errors=errors)

    @strawberry.mutation(
        description="Give a user an organisation-wide role (administrators only; "
        "not themselves)."
    )
    async def set_user_role(
        self, info: Info, input: SetUserRoleInput
    ) -> SetUserRolePayload:
        viewer = signed_in_viewer(info)
        user, errors = await perform(
            _on_user(user_set_role),
            actor=viewer,
            user_id=input.user_id,
            role=input.role,
        )
        return SetUserRolePayload(user=user, errors=errors)
