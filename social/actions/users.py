"""Writes on people."""

from django.db import transaction

from social import access
from social.errors import DomainError, ErrorCode, check_text
from social.models import User
from social.models.users import DISPLAY_NAME_MAX_LENGTH


def user_update_profile(*, actor: User, display_name: str | None = None) -> User:
    """Change the actor's own profile; fields left as None stay as they are.

    Locks the actor's row for the time of the update.
    """
    changes: dict[str, str] = {}
    if display_name is not None:
        changes["display_name"] = check_text(
            display_name, field="displayName", max_length=DISPLAY_NAME_MAX_LENGTH
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        if not access.can_update_profile(actor, user):
            raise DomainError(ErrorCode.FORBIDDEN, "You may not edit this profile.")
        for name, value in changes.items():
            setattr(user, name, value)
        if changes:
            user.save(update_fields=list(changes))
    return user
