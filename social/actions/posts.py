"""Writes on posts: publish, edit, delete, pin."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from social import access, events, search
from social.actions.bodies import body_rewrite
from social.actions.polls import PollSpec, check_poll, poll_add
from social.errors import DomainError, DomainErrors, ErrorCode, check_text
from social.markdown import render_markdown
from social.models import Group, Membership, Post, User

# A long internal letter fits; a pasted document does not.
POST_BODY_MAX_LENGTH = 20_000


def _not_found(field: str = "postId") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such post.", field)


def _locked_visible_post(actor: User, post_id: int) -> Post:
    """The post `post_id` if the actor may read it, locked against concurrent
    writes until the end of the transaction; NOT_FOUND otherwise."""
    post = (
        access.post_visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise _not_found()
    return post


def _membership_in(actor: User, group_id: int | None) -> Membership | None:
    """The actor's membership of the group (None for organisation-wide posts)."""
    if group_id is None:
        return None
    return access.membership_of(actor, Group(pk=group_id))


def _visible_group(actor: User, group_id: int) -> QuerySet[Group]:
    return access.group_visible_to(actor).filter(pk=group_id)


def post_create(
    *,
    actor: User,
    group_id: int | None,
    body: str,
    is_announcement: bool = False,
    poll: PollSpec | None = None,
) -> Post:
    """Publish a post in a group, or organisation-wide when `group_id` is None,
    with its poll if `poll` is given (both or nothing).

    Locks the actor's membership row, so that a post cannot slip in while the
    actor is being removed from the group.
    """
    errors: list[DomainError] = []
    with transaction.atomic():
        if group_id is None:
            if not access.can_publish_org_wide(actor):
                errors.append(
                    DomainError(
                        ErrorCode.FORBIDDEN,
                        "Only communicators and administrators post to the "
                        "whole organisation.",
                        "groupId",
                    )
                )
        else:
            group = _visible_group(actor, group_id).first()
            if group is None:
                raise DomainError(ErrorCode.NOT_FOUND, "No such group.", "groupId")
            membership = (
                Membership.objects.select_for_update()
                .filter(group_id=group.pk, user_id=actor.pk)
                .first()
            )
            if not access.can_post_in_group(actor, membership):
                errors.append(
                    DomainError(
                        ErrorCode.FORBIDDEN,
                        "Only the members of this group post in it.",
                        "groupId",
                    )
                )
        if is_announcement and not access.can_publish_org_wide(actor):
            errors.append(
                DomainError(
                    ErrorCode.FORBIDDEN,
                    "Only communicators and administrators publish announcements.",
                    "isAnnouncement",
                )
            )
        try:
            text = check_text(body, field="body", max_length=POST_BODY_MAX_LENGTH)
        except DomainError as error:
            errors.append(error)
        checked_poll = None
        if poll is not None:
            try:
                checked_poll = check_poll(poll, now=timezone.now())
            except DomainErrors as refused:
                errors.extend(refused.errors)
        if errors:
            raise DomainErrors(errors)
        post = Post.objects.create(
            author=actor,
            group_id=group_id,
            body=text,
            body_html=render_markdown(text),
            is_announcement=is_announcement,
        )
        poll_id = None
        if checked_poll is not None:
            poll_id = poll_add(post, checked_poll).pk
        search.index_post(post)
        events.feed_event("POST_CREATED", post=post, actor_id=actor.pk, poll_id=poll_id)
        return post


def post_update(*, actor: User, post_id: int, body: str) -> Post:
    """Change the body of the actor's own post and mark it edited.

    Locks the post row.
    """
    with transaction.atomic():
        post = _locked_visible_post(actor, post_id)
        if not access.can_edit_authored(actor, post.author_id):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only its author edits a post.", "postId"
            )
        body_rewrite(post, body, max_length=POST_BODY_MAX_LENGTH)
        search.index_post(post)
        events.feed_event("POST_UPDATED", post=post, actor_id=actor.pk)
        return post


def post_delete(*, actor: User, post_id: int) -> int:
    """Delete a post with its comments and reactions; return its id.

    Allowed to its author, the owners and admins of its group, and organisation
    admins. Locks the post row.
    """
    with transaction.atomic():
        post = _locked_visible_post(actor, post_id)
        membership = _membership_in(actor, post.group_id)
        if not access.can_delete_content(actor, post.author_id, membership):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "Only its author or a moderator deletes a post.",
                "postId",
            )
        search.unindex_post(post.pk)
        events.feed_event("POST_DELETED", post=post, actor_id=actor.pk)
        post.delete()
        return post_id


def post_pin(*, actor: User, post_id: int, pinned: bool) -> Post:
    """Pin a post on top of its group (or of the organisation-wide feed), or
    unpin it. Locks the post row."""
    with transaction.atomic():
        post = _locked_visible_post(actor, post_id)
        membership = _membership_in(actor, post.group_id)
        if not access.can_pin_post(actor, post, membership):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "Only the group's admins (communicators, organisation-wide) pin posts.",
                "postId",
            )
        if post.is_pinned != pinned:
            post.is_pinned = pinned
            post.save(update_fields=["is_pinned"])
            events.feed_event("POST_UPDATED", post=post, actor_id=actor.pk)
        return post
