"""Writes on comments: add, edit, delete."""

from django.db import transaction

from social import access, events, search
from social.actions.bodies import body_rewrite
from social.errors import DomainError, ErrorCode, check_text
from social.markdown import render_markdown
from social.models import Comment, Group, User

COMMENT_BODY_MAX_LENGTH = 5_000


def _locked_visible_comment(actor: User, comment_id: int) -> Comment:
    """The comment `comment_id` if the actor may read it, locked until the end
    of the transaction; NOT_FOUND otherwise."""
    comment = (
        access.comment_visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("post__group")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such comment.", "commentId")
    return comment


def comment_add(
    *, actor: User, post_id: int, body: str, parent_id: int | None = None
) -> Comment:
    """Comment on a post the actor may comment on, or reply to a comment of it.

    Replies are one level deep: a reply to a reply joins the thread of the
    top-level comment it belongs to. Locks the post row and the thread's
    top-level comment (no key update), so that neither is deleted under the new
    comment.
    """
    with transaction.atomic():
        post = (
            access.posts_open_to_comments(actor)
            .select_for_update(of=("self",), no_key=True)
            .filter(pk=post_id)
            .first()
        )
        if post is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such post.", "postId")
        thread_id = None
        if parent_id is not None:
            parent = Comment.objects.filter(pk=parent_id, post_id=post.pk).first()
            if parent is None:
                raise DomainError(
                    ErrorCode.NOT_FOUND, "No such comment on this post.", "parentId"
                )
            # The thread's top-level comment, locked so it cannot be deleted
            # (with its replies) without the new reply.
            thread_id = parent.parent_id or parent.pk
            thread = (
                Comment.objects.select_for_update(no_key=True)
                .filter(pk=thread_id, post_id=post.pk)
                .first()
            )
            if thread is None:
                raise DomainError(
                    ErrorCode.NOT_FOUND, "No such comment on this post.", "parentId"
                )
        text = check_text(body, field="body", max_length=COMMENT_BODY_MAX_LENGTH)
        comment = Comment.objects.create(
            post=post,
            author=actor,
            parent_id=thread_id,
            body=text,
            body_html=render_markdown(text),
        )
        search.index_comment(comment)
        events.feed_event(
            "COMMENT_ADDED", post=post, actor_id=actor.pk, comment_id=comment.pk
        )
        return comment


def comment_update(*, actor: User, comment_id: int, body: str) -> Comment:
    """Change the body of the actor's own comment and mark it edited.

    Locks the comment row.
    """
    with transaction.atomic():
        comment = _locked_visible_comment(actor, comment_id)
        if not access.can_edit_authored(actor, comment.author_id):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only its author edits a comment.", "commentId"
            )
        body_rewrite(comment, body, max_length=COMMENT_BODY_MAX_LENGTH)
        search.index_comment(comment)
        events.feed_event(
            "COMMENT_UPDATED",
            post=comment.post,
            actor_id=actor.pk,
            comment_id=comment.pk,
        )
        return comment


def comment_delete(*, actor: User, comment_id: int) -> Comment:
    """Delete a comment with its replies and reactions; return it (unsaved, with
    its post) so the caller can show the post.

    Allowed to its author, the owners and admins of the post's group, and
    organisation admins. Locks the comment row.
    """
    with transaction.atomic():
        comment = _locked_visible_comment(actor, comment_id)
        group_id = comment.post.group_id
        membership = (
            None
            if group_id is None
            else access.membership_of(actor, Group(pk=group_id))
        )
        if not access.can_delete_content(actor, comment.author_id, membership):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "Only its author or a moderator deletes a comment.",
                "commentId",
            )
        search.unindex_comment(comment.pk)
        events.feed_event(
            "COMMENT_DELETED",
            post=comment.post,
            actor_id=actor.pk,
            comment_id=comment_id,
        )
        comment.delete()
        comment.pk = comment_id
        return comment
