"""Writes on reactions: one per user per post or comment."""

from django.db import IntegrityError, transaction

from social import access, events
from social.errors import DomainError, ErrorCode
from social.models import Comment, Post, Reaction, ReactionKind, User

Subject = Post | Comment


def _subject(actor: User, *, post_id: int | None, comment_id: int | None) -> Subject:
    """The post or comment the actor may react to, or NOT_FOUND on subjectId."""
    if (post_id is None) == (comment_id is None):
        raise ValueError("Give exactly one of post_id and comment_id.")
    if post_id is not None:
        subject = (
            access.posts_open_to_comments(actor)
            .select_related("group")
            .filter(pk=post_id)
            .first()
        )
    else:
        subject = (
            access.comments_open_to_reactions(actor)
            .select_related("post__group")
            .filter(pk=comment_id)
            .first()
        )
    if subject is None:
        raise _gone()
    return subject


def _gone() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "Nothing to react to.", "subjectId")


def _reactions_changed(actor: User, subject: Subject) -> None:
    if isinstance(subject, Post):
        events.feed_event("REACTIONS_CHANGED", post=subject, actor_id=actor.pk)
    else:
        events.feed_event(
            "REACTIONS_CHANGED",
            post=subject.post,
            actor_id=actor.pk,
            comment_id=subject.pk,
        )


def _mine(actor: User, subject: Subject):
    field = "post" if isinstance(subject, Post) else "comment"
    return Reaction.objects.filter(user=actor, **{field: subject})


def reaction_set(
    *,
    actor: User,
    kind: ReactionKind | str,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> Subject:
    """Set the actor's reaction to a post or a comment, replacing any other; return
    the subject.

    Race-safe on the one-reaction-per-user-per-subject constraints: two requests
    at once leave one reaction, of the kind of the last one. Updating locks the
    actor's reaction row when there is one.
    """
    kind = ReactionKind(kind)
    subject = _subject(actor, post_id=post_id, comment_id=comment_id)
    field = "post" if isinstance(subject, Post) else "comment"
    try:
        with transaction.atomic():
            if _mine(actor, subject).filter(kind=kind).exists():
                return subject  # as it was: nothing to tell anyone
            _reactions_changed(actor, subject)
            if _mine(actor, subject).update(kind=kind):
                return subject
            try:
                # A savepoint: a concurrent insert makes this one fail alone.
                with transaction.atomic():
                    Reaction.objects.create(user=actor, kind=kind, **{field: subject})
            except IntegrityError:
                if not _mine(actor, subject).update(kind=kind):
                    raise _gone() from None
    except IntegrityError:
        # Foreign keys are checked at commit: the subject was deleted meanwhile.
        raise _gone() from None
    return subject


def reaction_remove(
    *,
    actor: User,
    kind: ReactionKind | str | None = None,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> Subject:
    """Remove the actor's reaction to a post or a comment; return the subject.

    With `kind`, only a reaction of that kind is removed, so that a stale client
    does not undo a newer choice. Removing what is not there is not an error.
    """
    subject = _subject(actor, post_id=post_id, comment_id=comment_id)
    reactions = _mine(actor, subject)
    if kind is not None:
        reactions = reactions.filter(kind=ReactionKind(kind))
    with transaction.atomic():
        removed, _ = reactions.delete()
        if removed:
            _reactions_changed(actor, subject)
    return subject
