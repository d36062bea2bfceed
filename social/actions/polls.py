"""Writes on polls: create one with its post, vote, close."""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from social import access, events
from social.errors import DomainError, DomainErrors, ErrorCode, check_text
from social.models import (
    Group,
    Poll,
    PollBallot,
    PollOption,
    PollParticipation,
    Post,
    User,
)

POLL_QUESTION_MAX_LENGTH = 500
POLL_OPTION_MAX_LENGTH = 200
POLL_OPTIONS_MIN = 2
POLL_OPTIONS_MAX = 20


@dataclass(frozen=True)
class PollSpec:
    """What `post_create` needs to add a poll to its post."""

    question: str
    options: list[str]
    is_multiple_choice: bool = False
    is_anonymous: bool = False
    hide_results_until_closed: bool = False
    closes_at: datetime | None = None
    # The indexes (in `options`) of the right answers: a quiz when not empty.
    correct_option_indexes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedPoll:
    question: str
    options: list[str]
    spec: PollSpec


def voter_key(poll_id: int, user_id: int, secret: str | None = None) -> str:
    """The key of a voter's ballots on an anonymous poll: it finds their own
    choice again, and cannot be turned back into a user without the server's
    secret."""
    message = f"{poll_id}:{user_id}".encode()
    key = (secret or settings.SECRET_KEY).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def voter_keys(poll_id: int, user_id: int) -> list[str]:
    """The keys a voter's ballots may carry: under SECRET_KEY, and under the
    SECRET_KEY_FALLBACKS of a key rotation, so a voter still finds (and replaces)
    a choice made before the rotation instead of voting twice."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [voter_key(poll_id, user_id, secret) for secret in secrets]


def check_poll(spec: PollSpec, *, now: datetime) -> CheckedPoll:
    """Validate a poll to create; raise every refusal at once (fields under
    `poll.`)."""
    errors: list[DomainError] = []
    question = ""
    try:
        question = check_text(
            spec.question, field="poll.question", max_length=POLL_QUESTION_MAX_LENGTH
        )
    except DomainError as error:
        errors.append(error)
    options: list[str] = []
    if not POLL_OPTIONS_MIN <= len(spec.options) <= POLL_OPTIONS_MAX:
        errors.append(
            DomainError(
                ErrorCode.INVALID,
                f"A poll has {POLL_OPTIONS_MIN} to {POLL_OPTIONS_MAX} options.",
                "poll.options",
            )
        )
    for text in spec.options:
        try:
            options.append(
                check_text(
                    text, field="poll.options", max_length=POLL_OPTION_MAX_LENGTH
                )
            )
        except DomainError as error:
            if not any(e.field == error.field and e.code == error.code for e in errors):
                errors.append(error)
    folded = [text.casefold() for text in options]
    if len(set(folded)) != len(folded):
        errors.append(
            DomainError(
                ErrorCode.INVALID, "Two options have the same text.", "poll.options"
            )
        )
    indexes = spec.correct_option_indexes
    if any(not 0 <= index < len(spec.options) for index in indexes):
        errors.append(
            DomainError(
                ErrorCode.INVALID,
                "A correct option index is not the index of an option.",
                "poll.correctOptionIndexes",
            )
        )
    elif len(set(indexes)) != len(indexes):
        errors.append(
            DomainError(
                ErrorCode.INVALID,
                "A correct option is given twice.",
                "poll.correctOptionIndexes",
            )
        )
    elif len(indexes) > 1 and not spec.is_multiple_choice:
        errors.append(
            DomainError(
                ErrorCode.INVALID,
                "A single-choice quiz has one correct option.",
                "poll.correctOptionIndexes",
            )
        )
    if spec.closes_at is not None and spec.closes_at <= now:
        errors.append(
            DomainError(
                ErrorCode.INVALID, "closesAt must be in the future.", "poll.closesAt"
            )
        )
    if errors:
        raise DomainErrors(errors)
    return CheckedPoll(question=question, options=options, spec=spec)


def poll_add(post: Post, checked: CheckedPoll) -> Poll:
    """Create a checked poll on a post being created (in its transaction)."""
    spec = checked.spec
    correct = set(spec.correct_option_indexes)
    poll = Poll.objects.create(
        post=post,
        question=checked.question,
        is_multiple_choice=spec.is_multiple_choice,
        is_anonymous=spec.is_anonymous,
        hide_results_until_closed=spec.hide_results_until_closed,
        is_quiz=bool(correct),
        closes_at=spec.closes_at,
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=index, text=text, is_correct=index in correct)
        for index, text in enumerate(checked.options)
    )
    return poll


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such poll.", "pollId")


def _ballots_of(actor: User, poll: Poll):
    if poll.is_anonymous:
        return PollBallot.objects.filter(
            poll_id=poll.pk, voter_key__in=voter_keys(poll.pk, actor.pk)
        )
    return PollBallot.objects.filter(poll_id=poll.pk, user_id=actor.pk)


def _poll_changed_by_vote(poll: Poll) -> None:
    """Tell the post's readers that the counts moved, if they are shown.

    Never with the voter (an anonymous ballot must not be linked to anyone by
    its timing), and not at all while results are hidden: there is nothing to
    show until the close.
    """
    if poll.hide_results_until_closed:
        return
    post = Post.objects.select_related("group").get(pk=poll.post_id)
    events.feed_event("POLL_UPDATED", post=post, actor_id=None, poll_id=poll.pk)


def poll_vote(*, actor: User, poll_id: int, option_ids: list[int]) -> Poll:
    """Replace the actor's choice on an open poll; an empty list withdraws it.

    Locks the poll row: the votes of one poll are written one at a time, so each
    voter has one participation and one ballot per chosen option.
    """
    wanted = set(option_ids)
    with transaction.atomic():
        poll = (
            Poll.objects.select_for_update()
            .filter(pk=poll_id, pk__in=access.polls_open_to_votes(actor).values("pk"))
            .first()
        )
        if poll is None:
            raise _not_found()
        now = timezone.now()
        if poll.is_closed_at(now):
            raise DomainError(ErrorCode.CLOSED, "This poll is closed.", "pollId")
        found = set(
            PollOption.objects.filter(poll_id=poll.pk, pk__in=wanted).values_list(
                "pk", flat=True
            )
        )
        if found != wanted:
            raise DomainError(
                ErrorCode.INVALID, "These are not options of this poll.", "optionIds"
            )
        if len(wanted) > 1 and not poll.is_multiple_choice:
            raise DomainError(
                ErrorCode.INVALID, "This poll takes a single option.", "optionIds"
            )
        ballots = _ballots_of(actor, poll)
        if set(ballots.values_list("option_id", flat=True)) == wanted:
            return poll
        ballots.delete()
        if not wanted:
            PollParticipation.objects.filter(poll_id=poll.pk, user_id=actor.pk).delete()
            _poll_changed_by_vote(poll)
            return poll
        voter = (
            {"voter_key": voter_key(poll.pk, actor.pk)}
            if poll.is_anonymous
            else {"user_id": actor.pk}
        )
        PollBallot.objects.bulk_create(
            PollBallot(poll_id=poll.pk, option_id=option_id, **voter)
            for option_id in sorted(wanted)
        )
        PollParticipation.objects.update_or_create(
            poll_id=poll.pk, user_id=actor.pk, defaults={"voted_at": now}
        )
        _poll_changed_by_vote(poll)
        return poll


def poll_close(*, actor: User, poll_id: int) -> Poll:
    """Close a poll for good (its organisers); closing a closed poll changes
    nothing. Locks the poll row."""
    with transaction.atomic():
        poll = (
            access.poll_visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("post__group")
            .filter(pk=poll_id)
            .first()
        )
        if poll is None:
            raise _not_found()
        post = poll.post
        membership = (
            None
            if post.group_id is None
            else access.membership_of(actor, Group(pk=post.group_id))
        )
        if not access.can_organise_poll(actor, post, membership):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                "Only the post's author, the group's admins or an organisation "
                "admin close a poll.",
                "pollId",
            )
        if poll.closed_at is None:
            poll.closed_at = timezone.now()
            poll.save(update_fields=["closed_at"])
            events.feed_event(
                "POLL_UPDATED", post=post, actor_id=actor.pk, poll_id=poll.pk
            )
        return poll
