"""Invitation mutations: createInvitation, createInvitations, acceptInvitation."""

import strawberry
from asgiref.sync import sync_to_async
from django.contrib.auth import login as session_login
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.enums import Role
from graphql_schema.errors import (
    UserError,
    perform,
    rate_limited,
    signed_in_viewer,
)
from graphql_schema.ids import pk_of
from graphql_schema.inputs import given
from graphql_schema.invitations.types import Invitation, with_code
from graphql_schema.users.types import User
from social.actions.invitations import (
    MAX_BATCH,
    InvitationDraft,
    IssuedInvitation,
    invitation_accept,
    invitation_create,
    invitation_create_many,
)
from social.errors import DomainError
from social.throttle import Throttled


@strawberry.input(description="Who to invite; only displayName is required.")
class CreateInvitationInput:
    display_name: str
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    department_id: relay.GlobalID | None = strawberry.UNSET
    site_id: relay.GlobalID | None = strawberry.UNSET
    role: Role | None = strawberry.field(
        default=strawberry.UNSET, description="AGENT when left out."
    )
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    expires_in_days: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="From 1 to 365; the server's default (30) when left out.",
    )


@strawberry.type
class CreateInvitationPayload:
    invitation: Invitation | None = strawberry.field(
        description="The new invitation; its `code` is shown here and never again."
    )
    errors: list[UserError]


@strawberry.input
class CreateInvitationsInput:
    invitations: list[CreateInvitationInput] = strawberry.field(
        description=f"At most {MAX_BATCH}; created all together or not at all."
    )


@strawberry.type
class CreateInvitationsPayload:
    invitations: list[Invitation] = strawberry.field(
        description="The new invitations, in input order, each with its `code`."
    )
    errors: list[UserError] = strawberry.field(
        description='`field` is indexed from 0, like "invitations.3.phone".'
    )


@strawberry.input
class AcceptInvitationInput:
    code: str = strawberry.field(
        description="The access code; case, spaces and dashes do not matter."
    )
    username: str
    password: str


@strawberry.type
class AcceptInvitationPayload:
    token: str | None = strawberry.field(
        description="A bearer token for this device (Authorization: Bearer ...)."
    )
    user: User | None
    errors: list[UserError]


# Never a primary key: the ID of another type becomes NOT_FOUND in the action, after
# its permission check and together with the other errors (so not `pk_of`'s error,
# which would come alone, before the check, and name no input index).
_NO_SUCH_PK = 0


def _pk(global_id: relay.GlobalID | None, type_name: str) -> int | None:
    """The primary key behind a global ID of `type_name`, if one was given."""
    value = given(global_id)
    if value is None:
        return None
    try:
        return pk_of(value, type_name, type_name)
    except DomainError:
        return _NO_SUCH_PK


def _draft(data: CreateInvitationInput) -> InvitationDraft:
    """Convert one input into what the action takes."""
    role = given(data.role)
    return InvitationDraft(
        display_name=data.display_name,
        first_name=given(data.first_name) or "",
        last_name=given(data.last_name) or "",
        job_title=given(data.job_title) or "",
        department_id=_pk(data.department_id, "Department"),
        site_id=_pk(data.site_id, "Site"),
        role=role.value if role is not None else "AGENT",
        phone=given(data.phone) or "",
        email=given(data.email) or "",
        expires_in_days=given(data.expires_in_days),
    )


def _shown(issued: IssuedInvitation) -> Invitation:
    return with_code(issued.invitation, issued.code)


@strawberry.type
class InvitationMutations:
    @strawberry.mutation(
        description=(
            "Invite someone with a one-time access code (organisation admins only). "
            "A pending invitation with the same phone or email is replaced."
        )
    )
    async def create_invitation(
        self, info: Info, input: CreateInvitationInput
    ) -> CreateInvitationPayload:
        viewer = signed_in_viewer(info)
        issued, errors = await perform(
            invitation_create, actor=viewer, draft=_draft(input)
        )
        if errors:
            return CreateInvitationPayload(invitation=None, errors=errors)
        return CreateInvitationPayload(invitation=_shown(issued), errors=[])

    @strawberry.mutation(
        description=(
            "Invite several people at once, all or none (organisation admins only)."
        )
    )
    async def create_invitations(
        self, info: Info, input: CreateInvitationsInput
    ) -> CreateInvitationsPayload:
        viewer = signed_in_viewer(info)
        issued, errors = await perform(
            invitation_create_many,
            actor=viewer,
            drafts=[_draft(data) for data in input.invitations],
        )
        if errors:
            return CreateInvitationsPayload(invitations=[], errors=errors)
        return CreateInvitationsPayload(
            invitations=[_shown(item) for item in issued], errors=[]
        )

    @strawberry.mutation(
        description=(
            "Turn an access code into an account and sign in on this device (a "
            "bearer token, and a session for browsers); anyone may call it, and a "
            "code works once."
        )
    )
    async def accept_invitation(
        self, info: Info, input: AcceptInvitationInput
    ) -> AcceptInvitationPayload:
        context = info.context
        try:
            accepted, errors = await perform(
                invitation_accept,
                code=input.code,
                username=input.username,
                password=input.password,
                client_address=context.client_address,
                user_agent=context.header("User-Agent"),
            )
        except Throttled as throttled:
            raise rate_limited(context, throttled) from throttled
        if errors:
            return AcceptInvitationPayload(token=None, user=None, errors=errors)
        if context.is_http:
            # As `login` does: GraphiQL and other browser pages use the session.
            await sync_to_async(session_login)(context.request, accepted.user)
        # As `login` does: the payload's `user` is the new user's own, with their
        # private fields (phone, email).
        context.viewer = accepted.user
        return AcceptInvitationPayload(
            token=accepted.token, user=accepted.user, errors=[]
        )
