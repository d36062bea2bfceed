"""Invitation mutations: createInvitation, acceptInvitation, bulk creation."""

import strawberry


@strawberry.type
class InvitationMutations:
    pass
