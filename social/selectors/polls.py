"""Composed reads of polls: the winners of a quiz."""

from django.db.models import Exists, OuterRef, QuerySet

from social.models import PollBallot, PollOption, PollParticipation


def quiz_winners(poll_id: int) -> QuerySet[PollParticipation]:
    """The participations of a (named) quiz whose choice is exactly the set of
    correct options, earliest latest-choice first."""
    wrong = PollBallot.objects.filter(
        poll_id=poll_id, user_id=OuterRef("user_id"), option__is_correct=False
    )
    missed = PollOption.objects.filter(poll_id=poll_id, is_correct=True).exclude(
        pk__in=PollBallot.objects.filter(
            poll_id=poll_id, user_id=OuterRef(OuterRef("user_id"))
        ).values("option_id")
    )
    return (
        PollParticipation.objects.filter(poll_id=poll_id)
        .filter(~Exists(wrong), ~Exists(missed))
        .order_by("voted_at", "pk")
    )
