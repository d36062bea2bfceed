"""The permission rules: who may see and do what. Nothing else decides it.

`<thing>_visible_to(viewer)` returns the queryset of what the viewer may read;
`can_<verb>_<thing>(viewer, obj)` answers one question. Anything not visible is
treated everywhere as if it did not exist.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from social.models import Department, Invitation, Site, User

Viewer = User | AnonymousUser


def is_signed_in(viewer: Viewer | None) -> bool:
    """Whether the viewer is an active, authenticated user."""
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def is_org_admin(viewer: Viewer | None) -> bool:
    """Whether the viewer is a signed-in organisation administrator."""
    return is_signed_in(viewer) and viewer.is_org_admin


def user_visible_to(viewer: Viewer | None) -> QuerySet[User]:
    """Colleagues visible to the viewer: nobody for anonymous clients, the active
    ones for agents, everyone (deactivated people too) for organisation admins,
    who must find a deactivated account to reactivate it.
    """
    if not is_signed_in(viewer):
        return User.objects.none()
    if viewer.is_org_admin:
        return User.objects.all()
    return User.objects.filter(is_active=True)


def can_see_contact_details(viewer: Viewer | None, user: User) -> bool:
    """The email and phone of a user are for that user and organisation admins.

    Decided from the viewer alone (no query), so a page of users costs nothing more.
    """
    if not is_signed_in(viewer):
        return False
    return viewer.pk == user.pk or viewer.is_org_admin


def department_visible_to(viewer: Viewer | None) -> QuerySet[Department]:
    """The organisation's departments are visible to every signed-in user."""
    if not is_signed_in(viewer):
        return Department.objects.none()
    return Department.objects.all()


def site_visible_to(viewer: Viewer | None) -> QuerySet[Site]:
    """The organisation's sites are visible to every signed-in user."""
    if not is_signed_in(viewer):
        return Site.objects.none()
    return Site.objects.all()


def can_see_organization(viewer: Viewer | None) -> bool:
    """The organisation's structure is shown to signed-in users only."""
    return is_signed_in(viewer)


def can_update_profile(viewer: Viewer | None, user: User) -> bool:
    """A user edits their own profile (department and site included)."""
    return is_signed_in(viewer) and viewer.pk == user.pk


def can_manage_users(viewer: Viewer | None) -> bool:
    """Organisation admins invite, deactivate and reactivate people."""
    return is_org_admin(viewer)


def invitation_visible_to(viewer: Viewer | None) -> QuerySet[Invitation]:
    """Invitations are the business of organisation admins only."""
    if not can_manage_users(viewer):
        return Invitation.objects.none()
    return Invitation.objects.all()


def can_manage_user(viewer: Viewer | None, user: User) -> bool:
    """Whether the viewer may deactivate, reactivate or change the role of `user`.

    Organisation admins manage others, never themselves (so the organisation cannot
    lose its last admin by mistake); a superuser is managed by superusers only, so an
    admin cannot lock the operator out.
    """
    if not can_manage_users(viewer) or viewer.pk == user.pk:
        return False
    return viewer.is_superuser or not user.is_superuser
