"""Sign-in mutations: login, logout, changePassword."""

import strawberry
from asgiref.sync import sync_to_async
from django.contrib.auth import login as session_login
from django.contrib.auth import update_session_auth_hash

from graphql_schema.context import Context, Info
from graphql_schema.errors import (
    UserError,
    perform,
    rate_limited,
    signed_in_viewer,
)
from graphql_schema.inputs import given
from graphql_schema.users.types import User
from social.actions.auth import (
    session_end,
    token_revoke,
    token_revoke_all,
    user_change_password,
    user_sign_in,
)
from social.throttle import Throttled


@strawberry.input(description="Credentials, and a name for the device signing in.")
class LoginInput:
    identifier: str = strawberry.field(
        description="A username (any case), a phone number (as typed) or an email."
    )
    password: str
    device_name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Shown in the list of signed-in devices, e.g. 'Pixel de Léa'.",
    )


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(
        description=(
            "The bearer token of this device, shown once: send it as "
            "`Authorization: Bearer <token>`."
        )
    )
    user: User | None
    errors: list[UserError]


@strawberry.input
class LogoutInput:
    all_devices: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Also revoke every other token of the user (all devices).",
    )


@strawberry.type
class LogoutPayload:
    errors: list[UserError]


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangePasswordPayload:
    user: User | None
    errors: list[UserError]


def _sign_out(context: Context, all_devices: bool) -> None:
    """Revoke the token of this request (or all of them) and end the session."""
    viewer = context.viewer
    if all_devices:
        token_revoke_all(user=viewer)
    elif context.token is not None:
        token_revoke(actor=viewer, token=context.token)
    if context.is_http:
        session_end(request=context.request, user=viewer)


def _keep_session(request, user) -> None:
    """Carry the session that changed the password over to the new password."""
    # The session's user is `user`; saying so spares Django from reloading it
    # through the session, whose hash no longer matches and would be flushed.
    request.user = user
    update_session_auth_hash(request, user)


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        description=(
            "Sign in with a username, a phone number or an email and a password; "
            "returns a bearer token, and opens a session for browsers. A wrong "
            "password and an unknown identifier get the same error; repeated "
            "failures are refused with RATE_LIMITED."
        )
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        context = info.context
        try:
            signed_in, errors = await perform(
                user_sign_in,
                identifier=input.identifier,
                password=input.password,
                client_address=context.client_address,
                device_name=given(input.device_name) or "",
                user_agent=context.header("User-Agent"),
            )
        except Throttled as throttled:
            raise rate_limited(context, throttled) from throttled
        if errors:
            return LoginPayload(token=None, user=None, errors=errors)
        user, token = signed_in
        if context.is_http:
            # GraphiQL and other browser pages ride on the session cookie.
            await sync_to_async(session_login)(context.request, user)
        # The rest of this operation is the user's own: the payload's `user`
        # shows them their private fields (phone, email).
        context.viewer = user
        return LoginPayload(token=token, user=user, errors=[])

    @strawberry.mutation(
        description=(
            "Sign out: revoke the token of this request (every token of the user "
            "with allDevices) and end the browser session."
        )
    )
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        signed_in_viewer(info)
        _, errors = await perform(
            _sign_out, context=info.context, all_devices=bool(given(input.all_devices))
        )
        return LogoutPayload(errors=errors)

    @strawberry.mutation(
        description=(
            "Change the signed-in user's password: every other device is signed "
            "out; this one stays signed in."
        )
    )
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        viewer = signed_in_viewer(info)
        context = info.context
        user, errors = await perform(
            user_change_password,
            actor=viewer,
            current_password=input.current_password,
            new_password=input.new_password,
            keep_token=context.token,
        )
        if errors:
            return ChangePasswordPayload(user=None, errors=errors)
        if context.is_http and context.token is None:
            # Keep the session that made the change: its hash follows the password.
            await sync_to_async(_keep_session)(context.request, user)
        return ChangePasswordPayload(user=user, errors=[])
