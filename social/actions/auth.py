"""Sign-in credentials: bearer tokens, one per device."""

import secrets

from django.db import transaction
from django.utils import timezone

from social.models import AccessToken, User
from social.models.auth import digest

TOKEN_PREFIX = "pv_"  # noqa: S105 - a marker, not a secret


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
        return AccessToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
