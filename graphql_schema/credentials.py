"""Credentials re-checked on long-lived sockets."""

from importlib import import_module

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections
from django.utils.crypto import constant_time_compare
from strawberry.extensions import SchemaExtension

from graphql_schema.context import Context
from social.models import AccessToken, User


def fresh_viewer(context: Context) -> User | None:
    """The socket's user as stored now (a role changed since the socket opened
    counts at once), if its token is live, or its session not ended, and the
    user still active; None otherwise."""
    if context.token is not None:
        token = (
            AccessToken.objects.select_related("user")
            .filter(pk=context.token.pk, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        return None if token is None else token.user
    user = User.objects.filter(pk=context.viewer.pk, is_active=True).first()
    if user is None:
        return None
    session = context.request.scope.get("session")
    session_key = getattr(session, "session_key", None)
    if session_key is not None and not _session_holds(session_key, user):
        return None
    return user


def refresh_viewer(context: Context) -> bool:
    """Set the socket's viewer to `fresh_viewer`; False when it no longer
    signs in."""
    user = fresh_viewer(context)
    if user is None:
        return False
    context.viewer = user
    if context.token is not None:
        context.token.user = user
    return True


def _session_holds(session_key: str, user: User) -> bool:
    """Whether the session, as stored now, still signs `user` in: it exists and
    its password hash is the user's current one, as Django checks on each HTTP
    request (a password changed elsewhere ends the other sessions)."""
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    return any(
        constant_time_compare(stored, current)
        for current in (
            user.get_session_auth_hash(),
            *user.get_session_auth_fallback_hash(),
        )
    )


class SocketCredentialsCheck(SchemaExtension):
    """Re-check a socket's credentials before each of its operations.

    A socket's viewer is settled once, at connection; a token revoked (logout,
    password change) or a user deactivated since then must not keep reading. Such
    a socket is closed with 4403 and the operation runs as anonymous.
    """

    async def on_operation(self):
        context = self.execution_context.context
        if (
            not context.is_http
            and context.is_signed_in
            and not await database_sync_to_async(refresh_viewer)(context)
        ):
            context.viewer = AnonymousUser()
            context.token = None
            await context.request.close(code=4403)
        yield
        if not context.is_http:
            # The socket's thread would keep the connection for the socket's life.
            await sync_to_async(close_old_connections)()
