"""Mutations on groups: settings, joining and leaving, and members."""

from collections.abc import Callable, Sequence

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import UserError, perform, signed_in_viewer
from graphql_schema.groups.types import Group, GroupKind, GroupRole, Visibility
from graphql_schema.ids import pk_of
from graphql_schema.inputs import given
from social.actions.groups import (
    group_add_members,
    group_create,
    group_delete,
    group_join,
    group_leave,
    group_remove_member,
    group_review_request,
    group_set_member_role,
    group_update,
)
from social.errors import DomainError, DomainErrors, ErrorCode
from social.models import Group as GroupModel


@strawberry.input
class CreateGroupInput:
    name: str
    description: str = ""
    kind: GroupKind
    visibility: Visibility
    department_id: relay.GlobalID | None = None


@strawberry.type
class CreateGroupPayload:
    group: Group | None
    errors: list[UserError]


@strawberry.input(description="Fields to change; a field left out stays as it is.")
class UpdateGroupInput:
    group_id: relay.GlobalID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    kind: GroupKind | None = strawberry.UNSET
    visibility: Visibility | None = strawberry.UNSET


@strawberry.type
class UpdateGroupPayload:
    group: Group | None
    errors: list[UserError]


@strawberry.input
class JoinGroupInput:
    group_id: relay.GlobalID


@strawberry.type
class JoinGroupPayload:
    group: Group | None
    errors: list[UserError]


@strawberry.input
class LeaveGroupInput:
    group_id: relay.GlobalID


@strawberry.type
class LeaveGroupPayload:
    group: Group | None = strawberry.field(
        description="The group; null once the viewer left a secret group."
    )
    errors: list[UserError]


@strawberry.input
class DeleteGroupInput:
    group_id: relay.GlobalID


@strawberry.type
class DeleteGroupPayload:
    group_id: relay.GlobalID | None = strawberry.field(
        description="The ID of the deleted group."
    )
    errors: list[UserError]


@strawberry.input
class ReviewMembershipRequestInput:
    group_id: relay.GlobalID
    user_id: relay.GlobalID
    approve: bool


@strawberry.type
class ReviewMembershipRequestPayload:
    group: Group | None
    errors: list[UserError]


@strawberry.input
class AddGroupMembersInput:
    group_id: relay.GlobalID
    user_ids: list[relay.GlobalID]


@strawberry.type
class AddGroupMembersPayload:
    group: Group | None
    errors: list[UserError]


@strawberry.input
class RemoveGroupMemberInput:
    group_id: relay.GlobalID
    user_id: relay.GlobalID


@strawberry.type
class RemoveGroupMemberPayload:
    group: Group | None = strawberry.field(
        description="The group; null once the viewer removed themselves from a "
        "secret group."
    )
    errors: list[UserError]


@strawberry.input
class SetGroupMemberRoleInput:
    group_id: relay.GlobalID
    user_id: relay.GlobalID
    role: GroupRole


@strawberry.type
class SetGroupMemberRolePayload:
    group: Group | None
    errors: list[UserError]


def _group_pk(value: relay.GlobalID) -> int:
    return pk_of(value, "Group", "groupId")


def _user_pk(value: relay.GlobalID) -> int:
    return pk_of(value, "User", "userId")


def _user_pks(values: Sequence[relay.GlobalID]) -> list[int]:
    """The keys of `userIds`; NOT_FOUND at "userIds.<index>" for each other ID."""
    pks, errors = [], []
    for index, value in enumerate(values):
        try:
            pks.append(pk_of(value, "User", f"userIds.{index}"))
        except DomainError as error:
            errors.append(error)
    if errors:
        raise DomainErrors(errors)
    return pks


def _value(choice) -> str | None:
    """The model value of an optional enum input (None when left out or null)."""
    choice = given(choice)
    return None if choice is None else choice.value


async def _change(
    action: Callable[..., GroupModel | None],
    ids: Callable[[], dict[str, object]],
    **kwargs,
) -> tuple[GroupModel | None, list[UserError]]:
    """Run a group action, its input's global IDs turned into keys by `ids` inside
    `perform`: the group, or the payload errors of either step."""
    return await perform(lambda: action(**ids(), **kwargs))


@strawberry.type
class GroupMutations:
    @strawberry.mutation(
        description="Start a group; its creator owns it. The slug is made from "
        "the name (`mairie-dans-la-marmite`, then `mairie-dans-la-marmite-2`)."
    )
    async def create_group(
        self, info: Info, input: CreateGroupInput
    ) -> CreateGroupPayload:
        viewer = signed_in_viewer(info)
        department_id = input.department_id
        group, errors = await _change(
            group_create,
            lambda: {
                "department_id": None
                if department_id is None
                else pk_of(department_id, "Department", "departmentId")
            },
            actor=viewer,
            name=input.name,
            description=input.description,
            kind=input.kind.value,
            visibility=input.visibility.value,
        )
        return CreateGroupPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Change a group's name, description, kind or visibility (its "
        "owners and admins). The slug stays; making it secret drops pending "
        "requests."
    )
    async def update_group(
        self, info: Info, input: UpdateGroupInput
    ) -> UpdateGroupPayload:
        viewer = signed_in_viewer(info)
        for field in ("name", "kind", "visibility"):
            if getattr(input, field) is None:
                return UpdateGroupPayload(
                    group=None,
                    errors=[
                        UserError(
                            field=field,
                            code=ErrorCode.REQUIRED,
                            message=f"{field} cannot be null.",
                        )
                    ],
                )
        group, errors = await _change(
            group_update,
            lambda: {"group_id": _group_pk(input.group_id)},
            actor=viewer,
            name=given(input.name),
            description=given(input.description),
            kind=_value(input.kind),
            visibility=_value(input.visibility),
        )
        return UpdateGroupPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Join a public group at once, or ask to join a private one "
        "(`viewerHasPendingRequest`). Secret groups are joined only when added; "
        "joining again changes nothing."
    )
    async def join_group(self, info: Info, input: JoinGroupInput) -> JoinGroupPayload:
        viewer = signed_in_viewer(info)
        group, errors = await _change(
            group_join, lambda: {"group_id": _group_pk(input.group_id)}, actor=viewer
        )
        return JoinGroupPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Leave a group, or withdraw a request to join it. The last "
        "owner must make someone else an owner first (INVALID)."
    )
    async def leave_group(
        self, info: Info, input: LeaveGroupInput
    ) -> LeaveGroupPayload:
        viewer = signed_in_viewer(info)
        group, errors = await _change(
            group_leave, lambda: {"group_id": _group_pk(input.group_id)}, actor=viewer
        )
        return LeaveGroupPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Delete a group with its posts, comments and reactions (its "
        "owners only). Its members lose it at once, live subscriptions included."
    )
    async def delete_group(
        self, info: Info, input: DeleteGroupInput
    ) -> DeleteGroupPayload:
        viewer = signed_in_viewer(info)
        _, errors = await perform(
            lambda: group_delete(actor=viewer, group_id=_group_pk(input.group_id))
        )
        return DeleteGroupPayload(
            group_id=None if errors else input.group_id, errors=errors
        )

    @strawberry.mutation(
        description="Approve or refuse a request to join (the group's owners and "
        "admins)."
    )
    async def review_membership_request(
        self, info: Info, input: ReviewMembershipRequestInput
    ) -> ReviewMembershipRequestPayload:
        viewer = signed_in_viewer(info)
        group, errors = await _change(
            group_review_request,
            lambda: {
                "group_id": _group_pk(input.group_id),
                "user_id": _user_pk(input.user_id),
            },
            actor=viewer,
            approve=input.approve,
        )
        return ReviewMembershipRequestPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Add people as members at once, secret groups included (the "
        "group's owners and admins; at most 100). All or nothing: errors name "
        "`userIds.<index>`."
    )
    async def add_group_members(
        self, info: Info, input: AddGroupMembersInput
    ) -> AddGroupMembersPayload:
        viewer = signed_in_viewer(info)
        group, errors = await _change(
            group_add_members,
            lambda: {
                "group_id": _group_pk(input.group_id),
                "user_ids": _user_pks(input.user_ids),
            },
            actor=viewer,
        )
        return AddGroupMembersPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Remove a member (the group's owners and admins; only owners "
        "remove owners; never the last owner)."
    )
    async def remove_group_member(
        self, info: Info, input: RemoveGroupMemberInput
    ) -> RemoveGroupMemberPayload:
        viewer = signed_in_viewer(info)
        group, errors = await _change(
            group_remove_member,
            lambda: {
                "group_id": _group_pk(input.group_id),
                "user_id": _user_pk(input.user_id),
            },
            actor=viewer,
        )
        return RemoveGroupMemberPayload(group=group, errors=errors)

    @strawberry.mutation(
        description="Make a member an OWNER, ADMIN or MEMBER (owners and admins "
        "set ADMIN and MEMBER; only owners make or unmake owners; the last owner "
        "cannot step down)."
    )
    async def set_group_member_role(
        self, info: Info, input: SetGroupMemberRoleInput
    ) -> SetGroupMemberRolePayload:
        viewer = signed_in_viewer(info)
        group, errors = await _change(
            group_set_member_role,
            lambda: {
                "group_id": _group_pk(input.group_id),
                "user_id": _user_pk(input.user_id),
            },
            actor=viewer,
            role=input.role.value,
        )
        return SetGroupMemberRolePayload(group=group, errors=errors)
