"""GraphQL types of invitations."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.enums import Role
from graphql_schema.relay import NODE_ID_ATTR
from graphql_schema.users.types import User
from social import access
from social.models import Invitation as InvitationModel

if TYPE_CHECKING:
    from graphql_schema.org.types import Department, Site


@strawberry_django.type(
    InvitationModel,
    name="Invitation",
    description=(
        "A one-time access code that becomes an account. Visible to organisation "
        "administrators only."
    ),
)
class Invitation(relay.Node):
    _id_attr = NODE_ID_ATTR
    display_name: str
    first_name: str
    last_name: str
    job_title: str
    department: (
        Annotated["Department", strawberry.lazy("graphql_schema.org.types")] | None
    )
    site: Annotated["Site", strawberry.lazy("graphql_schema.org.types")] | None
    role: Role
    phone: str
    email: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    user: User | None = strawberry_django.field(
        description="The account the invitation became, once accepted."
    )

    @strawberry_django.field(
        only=[],
        description=(
            "The access code, as ABCD-EFGH. Only the mutation that creates the "
            "invitation returns it: it is stored hashed, so it is null everywhere "
            "else."
        ),
    )
    def code(self, root: InvitationModel) -> str | None:
        return getattr(root, "issued_code", None)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.invitation_visible_to(info.context.viewer, queryset)


def with_code(invitation: InvitationModel, code: str) -> InvitationModel:
    """Attach the plaintext code to a new invitation, for its creation payload."""
    invitation.issued_code = code
    return invitation
