"""Composed reads of polls: the winners of quizzes."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from social.models import PollBallot, PollOption, PollParticipation


def quiz_winners(polls: Iterable[int] | QuerySet) -> QuerySet[PollParticipation]:
    """The participations in those (named) quizzes, ids or a queryset of polls,
    whose choice is exactly the set of their quiz's correct options, earliest
    latest-choice first."""
    wrong = PollBallot.objects.filter(
        poll_id=OuterRef("poll_id"),
        user_id=OuterRef("user_id"),
        option__is_correct=False,
    )
    missed = PollOption.objects.filter(
        poll_id=OuterRef("poll_id"), is_correct=True
    ).exclude(
        pk__in=PollBallot.objects.filter(
            poll_id=OuterRef(OuterRef("poll_id")),
            user_id=OuterRef(OuterRef("user_id")),
        ).values("option_id")
    )
    return (
        PollParticipation.objects.filter(poll__in=polls)
        .filter(~Exists(wrong), ~Exists(missed))
        .order_by("voted_at", "pk")
    )
