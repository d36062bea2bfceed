"""Writes on groups: create, update, join, leave, and the management of members.

Every action that changes memberships locks the group's row first, so that two
moderators acting at once cannot, say, both demote the other owner and leave the
group without one. A group the actor may not see is NOT_FOUND, never FORBIDDEN.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from social import access, events, search
from social.errors import DomainError, DomainErrors, ErrorCode, check_text
from social.models import (
    Group,
    GroupKind,
    GroupRole,
    Membership,
    MembershipStatus,
    User,
    Visibility,
)
from social.slugs import secret_slug, slug_prefix, unique_slug

GROUP_NAME_MAX_LENGTH = Group._meta.get_field("name").max_length
GROUP_DESCRIPTION_MAX_LENGTH = 2_000
SLUG_MAX_LENGTH = Group._meta.get_field("slug").max_length
# How often `group_create` picks another slug after losing a race for one.
SLUG_ATTEMPTS = 5
# How many people `group_add_members` adds at once.
ADD_MEMBERS_MAX = 100


def _not_found(what: str = "group", field: str = "groupId") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"No such {what}.", field)


def _check_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:
        raise DomainError(ErrorCode.INVALID, f"{field} is not one of ours.", field)
    return value


def _clean(
    *,
    name: str | None,
    description: str | None,
    kind: str | None,
    visibility: str | None,
) -> dict[str, str]:
    """Validate the given fields (None: not given); raise every refusal at once."""
    checks = {
        "name": (
            name,
            lambda v: check_text(v, field="name", max_length=GROUP_NAME_MAX_LENGTH),
        ),
        "description": (
            description,
            lambda v: check_text(
                v,
                field="description",
                max_length=GROUP_DESCRIPTION_MAX_LENGTH,
                required=False,
            ),
        ),
        "kind": (kind, lambda v: _check_choice(v, GroupKind, "kind")),
        "visibility": (
            visibility,
            lambda v: _check_choice(v, Visibility, "visibility"),
        ),
    }
    changes: dict[str, str] = {}
    errors: list[DomainError] = []
    for attribute, (value, check) in checks.items():
        if value is None:
            continue
        try:
            changes[attribute] = check(value)
        except DomainError as error:
            errors.append(error)
    if errors:
        raise DomainErrors(errors)
    return changes


def _locked_group(actor: User, group_id: int) -> tuple[Group, Membership | None]:
    """The group if the actor may see it, locked until the end of the transaction,
    and the actor's membership of it; NOT_FOUND otherwise."""
    group = (
        access.group_visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise _not_found()
    return group, access.membership_of(actor, group)


def _moderated_group(actor: User, group_id: int) -> tuple[Group, Membership]:
    """The locked group and the actor's membership, if they moderate it."""
    group, membership = _locked_group(actor, group_id)
    if not access.can_moderate_group(actor, membership):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Only the owners and admins of this group may do this.",
            "groupId",
        )
    return group, membership


def _active_member(group: Group, user_id: int) -> Membership:
    """The active membership of `user_id` in `group` (an active account), locked;
    NOT_FOUND otherwise."""
    membership = (
        Membership.objects.select_for_update()
        .filter(
            group=group,
            user_id=user_id,
            user__is_active=True,
            status=MembershipStatus.ACTIVE,
        )
        .first()
    )
    if membership is None:
        raise _not_found("member of this group", "userId")
    return membership


def _other_owners(group: Group, membership: Membership) -> bool:
    """Whether the group keeps an active owner without `membership`."""
    return (
        Membership.objects.filter(
            group=group,
            role=GroupRole.OWNER,
            status=MembershipStatus.ACTIVE,
            user__is_active=True,
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def _check_not_last_owner(group: Group, membership: Membership, field: str) -> None:
    if membership.role == GroupRole.OWNER and not _other_owners(group, membership):
        raise DomainError(
            ErrorCode.INVALID,
            "A group needs an owner: make someone else an owner first.",
            field,
        )


def _as_seen_by(actor: User, group: Group) -> Group | None:
    """The group, or None once the actor may no longer see it (they left a secret
    group)."""
    if access.can_see_group(actor, group, access.membership_of(actor, group)):
        return group
    return None


# --- Creating and editing ---------------------------------------------------------


def group_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    kind: str,
    visibility: str,
    department_id: int | None = None,
) -> Group:
    """Create a group owned by the actor, with a unique slug made from its name.

    "Mairie dans la marmite" gets `mairie-dans-la-marmite`, the next one
    `mairie-dans-la-marmite-2`. Two creations racing for a slug: the loser of the
    unique constraint takes the next one. Locks nothing beyond the new rows.
    """
    if not access.can_create_group(actor):
        raise DomainError(ErrorCode.FORBIDDEN, "You may not create a group.")
    fields = _clean(
        name=name, description=description or "", kind=kind, visibility=visibility
    )
    department = None
    if department_id is not None:
        department = (
            access.department_visible_to(actor).filter(pk=department_id).first()
        )
        if department is None:
            raise _not_found("department", "departmentId")
    prefix = slug_prefix(fields["name"], SLUG_MAX_LENGTH)
    for _attempt in range(SLUG_ATTEMPTS):
        taken = Group.objects.filter(slug__startswith=prefix).values_list(
            "slug", flat=True
        )
        slug = (
            secret_slug(fields["name"], SLUG_MAX_LENGTH)
            if fields["visibility"] == Visibility.SECRET
            else unique_slug(fields["name"], taken, SLUG_MAX_LENGTH)
        )
        try:
            with transaction.atomic():
                group = Group.objects.create(
                    slug=slug, department=department, created_by=actor, **fields
                )
                Membership.objects.create(
                    group=group,
                    user=actor,
                    role=GroupRole.OWNER,
                    status=MembershipStatus.ACTIVE,
                )
                search.index_group(group)
        except IntegrityError:
            if not Group.objects.filter(slug=slug).exists():
                raise
            continue
        return group
    raise DomainError(
        ErrorCode.CONFLICT, "Too many groups are being created; try again.", "name"
    )


def group_update(
    *,
    actor: User,
    group_id: int,
    name: str | None = None,
    description: str | None = None,
    kind: str | None = None,
    visibility: str | None = None,
) -> Group:
    """Change a group's settings (its owners and admins only); None keeps a field.

    The slug stays as it is when the group is renamed, so links keep working;
    a group made secret gets a new, unguessable slug (social.slugs.secret_slug)
    and drops its pending requests: a secret group is joined only when a
    moderator adds you. Locks the group's row.
    """
    changes = _clean(
        name=name, description=description, kind=kind, visibility=visibility
    )
    with transaction.atomic():
        group, _membership = _moderated_group(actor, group_id)
        if (
            changes.get("visibility") == Visibility.SECRET
            and group.visibility != Visibility.SECRET
        ):
            changes["slug"] = secret_slug(group.name, SLUG_MAX_LENGTH)
        for attribute, value in changes.items():
            setattr(group, attribute, value)
        if changes:
            group.save(update_fields=list(changes))
            search.index_group(group)
        if changes.get("visibility") == Visibility.SECRET:
            Membership.objects.filter(
                group=group, status=MembershipStatus.PENDING
            ).delete()
    return group


def group_delete(*, actor: User, group_id: int) -> int:
    """Delete a group with its memberships, posts, comments and reactions (its
    owners only); return its id.

    Its members' open connections lose it at once, and subscriptions to it end.
    Locks the group's row.
    """
    with transaction.atomic():
        group, membership = _locked_group(actor, group_id)
        if not access.can_delete_group(actor, membership):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only the owners of a group delete it.", "groupId"
            )
        member_ids = list(
            Membership.objects.filter(
                group=group, status=MembershipStatus.ACTIVE
            ).values_list("user_id", flat=True)
        )
        group.delete()
        events.group_deleted(group_id, group.visibility)
        events.rights_changed(member_ids)
    return group_id


# --- Joining and leaving ----------------------------------------------------------


def group_join(*, actor: User, group_id: int) -> Group:
    """Join a public group at once, or ask to join a private one.

    A secret group is NOT_FOUND to outsiders: it is joined only when a moderator
    adds you. Joining a group you are in, or asking again, changes nothing; a
    pending request to a group that became public is granted. Locks the group's
    row.
    """
    with transaction.atomic():
        group, membership = _locked_group(actor, group_id)
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            return group
        if not access.can_join_group(actor, group, membership):
            raise _not_found()
        status = (
            MembershipStatus.ACTIVE
            if group.visibility == Visibility.PUBLIC
            else MembershipStatus.PENDING
        )
        if membership is None:
            Membership.objects.create(
                group=group, user=actor, role=GroupRole.MEMBER, status=status
            )
        elif (
            membership.status == MembershipStatus.PENDING
            and status == MembershipStatus.ACTIVE
        ):
            membership.status = MembershipStatus.ACTIVE
            membership.save(update_fields=["status"])
        if status == MembershipStatus.ACTIVE:
            events.rights_changed([actor.pk])
    return group


def group_leave(*, actor: User, group_id: int) -> Group | None:
    """Leave a group, or withdraw a pending request to join it.

    The last owner may not leave (INVALID): they make someone else an owner
    first. Leaving a group you are not in changes nothing. Returns the group as
    the actor now sees it: None after leaving a secret group. Locks the group's
    row.
    """
    with transaction.atomic():
        group, membership = _locked_group(actor, group_id)
        if membership is not None:
            if membership.status == MembershipStatus.ACTIVE:
                _check_not_last_owner(group, membership, "groupId")
                events.rights_changed([actor.pk])
            membership.delete()
        return _as_seen_by(actor, group)


# --- Moderation -------------------------------------------------------------------


def group_review_request(
    *, actor: User, group_id: int, user_id: int, approve: bool
) -> Group:
    """Approve a pending request to join (the requester becomes a member) or
    refuse it (the request is dropped); the group's owners and admins only.

    Locks the group's row.
    """
    with transaction.atomic():
        group, _membership = _moderated_group(actor, group_id)
        request = (
            Membership.objects.select_for_update()
            .filter(
                group=group,
                user_id=user_id,
                user__is_active=True,
                status=MembershipStatus.PENDING,
            )
            .first()
        )
        if request is None:
            raise _not_found("request to join this group", "userId")
        if approve:
            request.status = MembershipStatus.ACTIVE
            request.role = GroupRole.MEMBER
            request.save(update_fields=["status", "role"])
            events.rights_changed([user_id])
        else:
            request.delete()
    return group


def group_add_members(*, actor: User, group_id: int, user_ids: Sequence[int]) -> Group:
    """Add people to a group as members at once, secret groups included; the
    group's owners and admins only.

    All or nothing: an unknown or deactivated person is NOT_FOUND at
    "userIds.<index>" and nobody is added. Someone already in the group stays as
    they are; a pending request is granted. Locks the group's row.
    """
    if not user_ids:
        raise DomainError(ErrorCode.REQUIRED, "Name at least one person.", "userIds")
    if len(user_ids) > ADD_MEMBERS_MAX:
        raise DomainError(
            ErrorCode.TOO_LONG,
            f"At most {ADD_MEMBERS_MAX} people may be added at once.",
            "userIds",
        )
    with transaction.atomic():
        group, _membership = _moderated_group(actor, group_id)
        found = set(
            access.user_visible_to(actor)
            .filter(pk__in=user_ids, is_active=True)
            .values_list("pk", flat=True)
        )
        missing = [
            DomainError(ErrorCode.NOT_FOUND, "No such person.", f"userIds.{index}")
            for index, user_id in enumerate(user_ids)
            if user_id not in found
        ]
        if missing:
            raise DomainErrors(missing)
        existing = {
            membership.user_id: membership
            for membership in Membership.objects.select_for_update().filter(
                group=group, user_id__in=found
            )
        }
        pending = [
            membership
            for membership in existing.values()
            if membership.status == MembershipStatus.PENDING
        ]
        Membership.objects.filter(pk__in=[m.pk for m in pending]).update(
            status=MembershipStatus.ACTIVE
        )
        added = sorted(found - existing.keys())
        Membership.objects.bulk_create(
            [
                Membership(
                    group=group,
                    user_id=user_id,
                    role=GroupRole.MEMBER,
                    status=MembershipStatus.ACTIVE,
                )
                for user_id in added
            ]
        )
        events.rights_changed([*added, *(m.user_id for m in pending)])
    return group


def group_remove_member(*, actor: User, group_id: int, user_id: int) -> Group | None:
    """Remove a member from a group; its owners and admins only, and only an owner
    removes an owner. The last owner cannot be removed (INVALID).

    The removed member loses access at once. Returns the group as the actor now
    sees it (None if they removed themselves from a secret group). Locks the
    group's row.
    """
    with transaction.atomic():
        group, membership = _moderated_group(actor, group_id)
        target = _active_member(group, user_id)
        if not access.can_remove_group_member(actor, membership, target):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only an owner removes an owner.", "userId"
            )
        _check_not_last_owner(group, target, "userId")
        target.delete()
        events.rights_changed([user_id])
        return _as_seen_by(actor, group)


def group_set_member_role(
    *, actor: User, group_id: int, user_id: int, role: str
) -> Group:
    """Make a member an OWNER, ADMIN or MEMBER of a group.

    Owners and admins make admins and members; only owners make or unmake owners;
    the last owner cannot step down (INVALID). Locks the group's row.
    """
    _check_choice(role, GroupRole, "role")
    with transaction.atomic():
        group, membership = _moderated_group(actor, group_id)
        target = _active_member(group, user_id)
        if target.role == role:
            return group
        if not access.can_set_group_role(actor, membership, target, role):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only an owner makes or unmakes owners.", "role"
            )
        _check_not_last_owner(group, target, "role")
        target.role = role
        target.save(update_fields=["role"])
    return group
