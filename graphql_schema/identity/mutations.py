"""Sign-in mutations: login, logout, changePassword."""

import strawberry


@strawberry.type
class IdentityMutations:
    pass
