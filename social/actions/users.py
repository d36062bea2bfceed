"""Writes on people: profiles, deactivation, roles."""

from enum import Enum
from typing import Literal

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from social import access, events
from social.actions.auth import token_revoke_all
from social.errors import DomainError, DomainErrors, ErrorCode, check_text
from social.models import Department, Role, Site, User
from social.models.users import DISPLAY_NAME_MAX_LENGTH
from social.phones import normalize_phone

NAME_MAX_LENGTH = 150
JOB_TITLE_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254


class Unchanged(Enum):
    """Marks an optional argument that was not given (None means "clear it")."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED

# How the databases name the partial unique constraints of User in their errors
# (SQLite names a plain column's index by the column), and the input field each
# one guards.
_UNIQUE_MARKERS = {
    "phone": ("user_phone_unique_when_set", "social_user.phone"),
    "email": ("user_email_unique_when_set", "social_user.email"),
}


def _check_email(value: str) -> str:
    """Return `value` stripped with its domain lower-cased, or raise INVALID."""
    email = BaseUserManager.normalize_email(value.strip())
    if not email:
        return ""
    if len(email) > EMAIL_MAX_LENGTH:
        raise DomainError(
            ErrorCode.TOO_LONG,
            f"email must be at most {EMAIL_MAX_LENGTH} characters long.",
            "email",
        )
    try:
        validate_email(email)
    except ValidationError as error:
        raise DomainError(
            ErrorCode.INVALID, "This is not an email address.", "email"
        ) from error
    return email


def _clean_profile(
    *,
    display_name: str | None,
    first_name: str | None,
    last_name: str | None,
    job_title: str | None,
    phone: str | None,
    email: str | None,
) -> dict[str, str]:
    """Validate the given text fields; raise every refusal at once."""
    checks = {
        "display_name": lambda v: check_text(
            v, field="displayName", max_length=DISPLAY_NAME_MAX_LENGTH
        ),
        "first_name": lambda v: check_text(
            v, field="firstName", max_length=NAME_MAX_LENGTH, required=False
        ),
        "last_name": lambda v: check_text(
            v, field="lastName", max_length=NAME_MAX_LENGTH, required=False
        ),
        "job_title": lambda v: check_text(
            v, field="jobTitle", max_length=JOB_TITLE_MAX_LENGTH, required=False
        ),
        "phone": lambda v: normalize_phone(v, field="phone"),
        "email": _check_email,
    }
    given = {
        "display_name": display_name,
        "first_name": first_name,
        "last_name": last_name,
        "job_title": job_title,
        "phone": phone,
        "email": email,
    }
    changes: dict[str, str] = {}
    errors: list[DomainError] = []
    for name, value in given.items():
        if value is None:
            continue
        try:
            changes[name] = checks[name](value)
        except DomainError as error:
            errors.append(error)
    if errors:
        raise DomainErrors(errors)
    return changes


def _conflicts(user: User, changes: dict[str, object]) -> list[DomainError]:
    """Refuse a phone or an email that already belongs to someone else."""
    errors = []
    others = User.objects.exclude(pk=user.pk)
    phone = changes.get("phone")
    if phone and others.filter(phone=phone).exists():
        errors.append(
            DomainError(
                ErrorCode.CONFLICT, "This phone number is already in use.", "phone"
            )
        )
    email = changes.get("email")
    if email and others.filter(email__iexact=email).exists():
        errors.append(
            DomainError(ErrorCode.CONFLICT, "This email is already in use.", "email")
        )
    return errors


def _conflict_of(error: IntegrityError) -> DomainError:
    """The CONFLICT a unique constraint reported (a race lost to another write)."""
    message = str(error)
    for field, markers in _UNIQUE_MARKERS.items():
        if any(marker in message for marker in markers):
            return DomainError(
                ErrorCode.CONFLICT, f"This {field} is already in use.", field
            )
    return DomainError(ErrorCode.CONFLICT, "This profile conflicts with another one.")


def user_update_profile(
    *,
    actor: User,
    display_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    job_title: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    department_id: int | Literal[Unchanged.UNCHANGED] | None = UNCHANGED,
    site_id: int | Literal[Unchanged.UNCHANGED] | None = UNCHANGED,
) -> User:
    """Change the actor's own profile and return it.

    Text fields left as None stay as they are ("" clears an optional one); the
    department and site stay unless given, and None removes them. The phone is
    normalised; a phone or an email of someone else is a CONFLICT.

    Locks the actor's row for the time of the update.
    """
    changes: dict[str, object] = _clean_profile(
        display_name=display_name,
        first_name=first_name,
        last_name=last_name,
        job_title=job_title,
        phone=phone,
        email=email,
    )
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=actor.pk)
            if not access.can_update_profile(actor, user):
                raise DomainError(ErrorCode.FORBIDDEN, "You may not edit this profile.")
            if department_id is not UNCHANGED:
                changes["department"] = _find(
                    access.department_visible_to(actor), department_id, "departmentId"
                )
            if site_id is not UNCHANGED:
                changes["site"] = _find(
                    access.site_visible_to(actor), site_id, "siteId"
                )
            errors = _conflicts(user, changes)
            if errors:
                raise DomainErrors(errors)
            for name, value in changes.items():
                setattr(user, name, value)
            if changes:
                user.save(update_fields=list(changes))
    except IntegrityError as error:
        raise _conflict_of(error) from error
    return user


def _find(
    queryset: QuerySet[Department] | QuerySet[Site], pk: int | None, field: str
) -> Department | Site | None:
    """The object of `queryset` with `pk` (None for None), or raise NOT_FOUND."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {field[:-2]}.", field)
    return found


def _managed_user(actor: User, user_id: int) -> User:
    """Lock and return the user `actor` may manage, or raise the reason why not.

    Call inside a transaction: the row stays locked until it ends.
    """
    if not access.can_manage_users(actor):
        raise DomainError(ErrorCode.FORBIDDEN, "Only administrators manage users.")
    user = access.user_visible_to(actor).select_for_update().filter(pk=user_id).first()
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    if user.pk == actor.pk:
        raise DomainError(
            ErrorCode.INVALID, "Administrators cannot do this to themselves.", "userId"
        )
    if not access.can_manage_user(actor, user):
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only a superuser manages a superuser.", "userId"
        )
    return user


def user_deactivate(*, actor: User, user_id: int) -> User:
    """Deactivate a user and revoke every token of theirs, in one transaction.

    Their sessions end too: Django's session check refuses inactive users on the
    next request. Deactivating an inactive user changes nothing. Locks the user's
    row.
    """
    with transaction.atomic():
        user = _managed_user(actor, user_id)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        # Revoking tells the user's open sockets to re-check, and close.
        token_revoke_all(user=user)
    return user


def user_reactivate(*, actor: User, user_id: int) -> User:
    """Reactivate a deactivated user; they sign in again (old tokens stay revoked).

    Locks the user's row.
    """
    with transaction.atomic():
        user = _managed_user(actor, user_id)
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
    return user


def user_set_role(*, actor: User, user_id: int, role: Role | str) -> User:
    """Give a user the organisation-wide role `role` (AGENT, COMMUNICATOR, ADMIN).

    A superuser is an administrator whatever their role, so only ADMIN is accepted
    for one (change superusers in the Django admin). Locks the user's row.
    """
    if role not in Role.values:
        raise DomainError(ErrorCode.INVALID, "No such role.", "role")
    with transaction.atomic():
        user = _managed_user(actor, user_id)
        if user.is_superuser and role != Role.ADMIN:
            raise DomainError(
                ErrorCode.INVALID,
                "A superuser is always an administrator; change it in the Django "
                "admin.",
                "role",
            )
        if user.role != role:
            user.role = Role(role)
            user.save(update_fields=["role"])
            # What their open sockets may see depends on it (contact details,
            # deactivated colleagues): they re-read their viewer.
            events.rights_changed([user.pk])
    return user
