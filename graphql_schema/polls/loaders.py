"""Dataloaders of polls: one query per page for polls, options, counts and the
viewer's choice, whatever the number of posts (graphql_schema.posts.loaders)."""

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from graphql_schema.batches import BatchLoader, kept_loaders
from graphql_schema.posts.loaders import _counts_by
from social import access
from social.actions.polls import voter_keys
from social.models import Poll, PollBallot, PollOption, PollParticipation

if TYPE_CHECKING:
    from graphql_schema.context import Context


class PollLoaders:
    """The poll loaders of one context, kept beside its `loaders`."""

    def __init__(self, context: "Context") -> None:
        self.context = context
        self.polls_by_post = BatchLoader(self._polls_by_post)
        self.polls_by_id = BatchLoader(self._polls_by_id)
        self.options_by_poll = BatchLoader(self._options_by_poll, list)
        self.vote_counts_by_option = BatchLoader(self._vote_counts_by_option, int)
        self.voter_counts_by_poll = BatchLoader(self._voter_counts_by_poll, int)
        self.viewer_choices_by_poll = BatchLoader(self._viewer_choices_by_poll, set)

    @property
    def viewer(self) -> access.Viewer:
        return self.context.viewer

    def _polls_by_post(self, keys: list[int]) -> dict[int, Poll]:
        polls = access.poll_visible_to(self.viewer).filter(post_id__in=keys)
        return {poll.post_id: poll for poll in polls}

    def _polls_by_id(self, keys: list[int]) -> dict[int, Poll]:
        polls = access.poll_visible_to(self.viewer).filter(pk__in=keys)
        return {poll.pk: poll for poll in polls}

    def _options_by_poll(self, keys: list[int]) -> dict[int, list[PollOption]]:
        options: dict[int, list[PollOption]] = defaultdict(list)
        for option in PollOption.objects.filter(poll_id__in=keys).order_by(
            "poll_id", "position"
        ):
            options[option.poll_id].append(option)
        return options

    def _vote_counts_by_option(self, keys: list[int]) -> dict[int, int]:
        rows = (
            PollBallot.objects.filter(option_id__in=keys)
            .values("option_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _counts_by(rows, "option_id")

    def _voter_counts_by_poll(self, keys: list[int]) -> dict[int, int]:
        rows = (
            PollParticipation.objects.filter(poll_id__in=keys)
            .values("poll_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _counts_by(rows, "poll_id")

    def _viewer_choices_by_poll(self, keys: list[int]) -> dict[int, set[int]]:
        """The option ids the viewer chose, by poll: their named ballots, and
        the anonymous ones carrying their key of each poll."""
        if not access.is_signed_in(self.viewer):
            return {}
        user_id = self.viewer.pk
        mine = Q(poll_id__in=keys, user_id=user_id) | Q(
            voter_key__in=[
                key for poll_id in keys for key in voter_keys(poll_id, user_id)
            ]
        )
        choices: dict[int, set[int]] = defaultdict(set)
        for poll_id, option_id in PollBallot.objects.filter(mine).values_list(
            "poll_id", "option_id"
        ):
            choices[poll_id].add(option_id)
        return choices


def poll_loaders(context: "Context") -> PollLoaders:
    """The poll loaders of the request or socket, made on first use."""
    return kept_loaders(context, "polls", PollLoaders)
