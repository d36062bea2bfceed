"""The permission rules: who may see and do what. Nothing else decides it.

`<thing>_visible_to(viewer)` returns the queryset of what the viewer may read;
`can_<verb>_<thing>(viewer, obj)` answers one question. Anything not visible is
treated everywhere as if it did not exist.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from social.models import User

Viewer = User | AnonymousUser


def is_signed_in(viewer: Viewer | None) -> bool:
    """Whether the viewer is an active, authenticated user."""
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def user_visible_to(viewer: Viewer | None) -> QuerySet[User]:
    """Active colleagues are visible to every signed-in user, and to nobody else."""
    if not is_signed_in(viewer):
        return User.objects.none()
    return User.objects.filter(is_active=True)


def can_update_profile(viewer: Viewer | None, user: User) -> bool:
    """A user edits their own profile."""
    return is_signed_in(viewer) and viewer.pk == user.pk


def can_manage_users(viewer: Viewer | None) -> bool:
    """Organisation admins invite, deactivate and reactivate people."""
    return is_signed_in(viewer) and viewer.is_org_admin
