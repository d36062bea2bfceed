"""Sign-in credentials: passwords and bearer tokens, one token per device."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import logout as django_logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from social import access, events, throttle
from social.errors import DomainError, DomainErrors, ErrorCode
from social.models import AccessToken, User
from social.models.auth import digest
from social.phones import normalize_phone

TOKEN_PREFIX = "pv_"  # noqa: S105 - a marker, not a secret
# Longer than any token we issue: a bigger value is not looked up at all.
_MAX_SECRET_LENGTH = 200
# One message for an unknown identifier, a wrong password and a deactivated
# account, so that the answer does not tell which accounts exist.
SIGN_IN_REFUSED = "Unknown identifier or wrong password."


def token_issue(*, user: User, name: str = "", user_agent: str = "") -> str:
    """Create a bearer token for one device of `user` and return it (shown once)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    AccessToken.objects.create(
        user=user,
        key_hash=digest(secret),
        name=name[:100],
        user_agent=user_agent[:300],
    )
    return secret


def token_revoke_all(*, user: User) -> int:
    """Revoke every live token of `user`; return how many were revoked."""
    with transaction.atomic():
        revoked = AccessToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        events.rights_changed([user.pk], credentials=True)
        return revoked


def token_revoke(*, actor: User, token: AccessToken) -> None:
    """Revoke one of the actor's own tokens (signing that device out)."""
    if token.user_id != actor.pk:
        raise DomainError(ErrorCode.FORBIDDEN, "This is not your token.")
    with transaction.atomic():
        AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        events.rights_changed([actor.pk], credentials=True)


def session_end(*, request, user: User) -> None:
    """End the browser session of `request` (Django's logout); the user's open
    sockets re-check theirs."""
    django_logout(request)
    events.rights_changed([user.pk], credentials=True)


def token_authenticate(*, secret: str) -> AccessToken | None:
    """Return the live token of `secret`, with its active user, or None.

    Notes the use on the token (`last_used_at`) and the user (`last_seen_at`) at
    most once per TOKEN_TOUCH_INTERVAL, so that a busy phone does not cost a
    write per request. Takes no lock: concurrent notes write nearly the same time.
    """
    if not secret or len(secret) > _MAX_SECRET_LENGTH:
        return None
    token = (
        AccessToken.objects.select_related("user")
        .filter(key_hash=digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.TOKEN_TOUCH_INTERVAL)
    if token.last_used_at is None or token.last_used_at <= stale:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    user = token.user
    if user.last_seen_at is None or user.last_seen_at <= stale:
        User.objects.filter(pk=user.pk).update(last_seen_at=now)
        user.last_seen_at = now
    return token


def _find_user(identifier: str) -> User | None:
    """The user an identifier names: an email (it has "@"), else a phone number
    (however typed), else a username; names compare case-insensitively, under
    the same folding as the throttle's key (social.throttle.identifier_key).

    Usernames can be neither emails nor phone numbers (social.models.users), so
    one identifier never names two people.
    """
    text = identifier.strip()
    if not text:
        return None
    folded = text.casefold()
    if "@" in text:
        candidates = User.objects.filter(email__iexact=text)
        return next((u for u in candidates if u.email.casefold() == folded), None)
    try:
        phone = normalize_phone(text)
    except DomainError:
        phone = ""
    if phone:
        return User.objects.filter(phone=phone).first()
    candidates = [
        user
        for user in User.objects.filter(username__iexact=text).order_by("pk")[:10]
        if user.username.casefold() == folded
    ]
    # Usernames differing only in case may predate the constraint: exact wins.
    return min(candidates, key=lambda user: user.username != text, default=None)


def user_sign_in(
    *,
    identifier: str,
    password: str,
    client_address: str,
    device_name: str = "",
    user_agent: str = "",
) -> tuple[User, str]:
    """Check a password under throttling and issue a device token.

    `identifier` is a username (any case), a phone number (as typed) or an email.
    Returns the user and the token's secret; raises social.throttle.Throttled
    when too many attempts failed, or one INVALID DomainError, the same for an
    unknown identifier, a wrong password and a deactivated account. Writes the
    token and `last_login` in one transaction; locks nothing.
    """
    attempt = throttle.sign_in_attempt(identifier=identifier, address=client_address)
    user = _find_user(identifier)
    if user is None or not user.has_usable_password():
        # Hash anyway: an unknown identifier, or an account without a password,
        # takes as long as a wrong password.
        make_password(password)
        raise DomainError(ErrorCode.INVALID, SIGN_IN_REFUSED)
    if not user.check_password(password) or not user.is_active:
        raise DomainError(ErrorCode.INVALID, SIGN_IN_REFUSED)
    attempt.succeeded()
    with transaction.atomic():
        secret = token_issue(user=user, name=device_name, user_agent=user_agent)
        user.last_login = timezone.now()
        User.objects.filter(pk=user.pk).update(last_login=user.last_login)
    return user, secret


def user_change_password(
    *,
    actor: User,
    current_password: str,
    new_password: str,
    keep_token: AccessToken | None = None,
) -> User:
    """Change the actor's password and revoke their tokens but `keep_token`.

    Checks the current password and runs Django's password validators; the
    device making the change stays signed in through `keep_token`. Locks the
    actor's row.
    """
    if not access.is_signed_in(actor):
        raise DomainError(ErrorCode.FORBIDDEN, "You must be signed in.")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        if not user.check_password(current_password):
            raise DomainError(
                ErrorCode.INVALID,
                "The current password is wrong.",
                "currentPassword",
            )
        try:
            validate_password(new_password, user=user)
        except ValidationError as error:
            raise DomainErrors(
                [
                    DomainError(ErrorCode.INVALID, message, "newPassword")
                    for message in error.messages
                ]
            ) from error
        user.set_password(new_password)
        user.save(update_fields=["password"])
        others = AccessToken.objects.filter(user=user, revoked_at__isnull=True)
        if keep_token is not None:
            others = others.exclude(pk=keep_token.pk)
        others.update(revoked_at=timezone.now())
        events.rights_changed([user.pk], credentials=True)
    return user
