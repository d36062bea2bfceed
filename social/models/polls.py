"""Polls and quizzes: a poll belongs to a post; votes are ballots.

Who voted (`PollParticipation`) is kept apart from what they chose
(`PollBallot`). On an anonymous poll a ballot names no user: it carries a
`voter_key`, an HMAC of the poll and the voter under the server's secret, which
lets the voter's own choice be found and replaced, and nothing else.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q


class Poll(models.Model):
    """The poll of a post: a question and 2 to 20 options; a quiz when some
    options are marked correct."""

    post = models.OneToOneField(
        "social.Post", on_delete=models.CASCADE, related_name="poll"
    )
    question = models.TextField()
    is_multiple_choice = models.BooleanField(default=False)
    is_anonymous = models.BooleanField(default=False)
    hide_results_until_closed = models.BooleanField(default=False)
    is_quiz = models.BooleanField(default=False)
    # Votes are refused from `closes_at` on, or once closed by hand (`closed_at`).
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Poll {self.pk} of post {self.post_id}"

    def is_closed_at(self, now: datetime) -> bool:
        """Whether the poll takes no more votes at `now`: closed by hand or past
        its `closes_at`."""
        return self.closed_at is not None or (
            self.closes_at is not None and self.closes_at <= now
        )


class PollOption(models.Model):
    """One answer of a poll, in the order given (`position`, from 0)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    # Only meaningful on a quiz; revealed by the API once the poll is closed.
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ("poll", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "position"], name="poll_option_position"
            )
        ]

    def __str__(self) -> str:
        return f"Option {self.position} of poll {self.poll_id}"


class PollParticipation(models.Model):
    """That a user has voted on a poll (never what they chose); `voted_at` is
    the time of their latest choice."""

    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="poll_participations",
    )
    voted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "user"], name="poll_participation_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"Participation in poll {self.poll_id}"


class PollBallot(models.Model):
    """One chosen option: by a user on a named poll, by a `voter_key` on an
    anonymous one (exactly one of them)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    option = models.ForeignKey(
        PollOption, on_delete=models.CASCADE, related_name="ballots"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="poll_ballots",
    )
    # Null on named ballots (so the unique constraints skip them).
    voter_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, voter_key__isnull=True)
                | Q(user__isnull=True, voter_key__isnull=False),
                name="poll_ballot_one_voter",
            ),
            models.UniqueConstraint(
                fields=["option", "user"],
                condition=Q(user__isnull=False),
                name="poll_ballot_one_per_user_option",
            ),
            models.UniqueConstraint(
                fields=["option", "voter_key"],
                condition=Q(voter_key__isnull=False),
                name="poll_ballot_one_per_key_option",
            ),
        ]
        indexes = [
            models.Index(fields=["poll", "user"], name="poll_ballot_poll_user"),
            models.Index(fields=["poll", "voter_key"], name="poll_ballot_poll_key"),
        ]

    def __str__(self) -> str:
        return f"Ballot for option {self.option_id}"
