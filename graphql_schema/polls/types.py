"""GraphQL types of polls and quizzes."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import F, QuerySet
from django.utils import timezone
from strawberry import relay

from graphql_schema import batches
from graphql_schema.batches import PageBatch, batched, on_the_loop, then
from graphql_schema.context import Info
from graphql_schema.polls.loaders import poll_loaders
from graphql_schema.relay import NODE_ID_ATTR, Connection
from graphql_schema.users.types import User
from social import access
from social.models import Poll as PollModel
from social.models import PollOption as PollOptionModel
from social.models import User as UserModel
from social.selectors.polls import quiz_winners

if TYPE_CHECKING:
    from graphql_schema.posts.types import Post


async def _poll_of(info: Info, option: PollOptionModel) -> PollModel | None:
    """The poll of an option: the one it was listed under (`Poll.options`), or
    loaded through `poll_visible_to`."""
    if PollOptionModel.poll.is_cached(option):
        return option.poll
    return await poll_loaders(info.context).polls_by_id.load(option.poll_id)


_READ_BY_OPTIONS = {"is_quiz", "closes_at", "closed_at", "hide_results_until_closed"}


def _listed_under(
    poll: PollModel, options: list[PollOptionModel]
) -> list[PollOptionModel]:
    # The poll is visible (it was resolved through poll_visible_to): its options
    # need not load it again for voteCount and isCorrect, unless the optimizer
    # left out a field those read.
    if poll.get_deferred_fields() & _READ_BY_OPTIONS:
        return options
    for option in options:
        PollOptionModel.poll.field.set_cached_value(option, poll)
    return options


def _results_shown(poll: PollModel | None) -> bool:
    return poll is not None and access.can_see_poll_results(poll, timezone.now())


async def _vote_count_through_poll(info: Info, option: PollOptionModel) -> int | None:
    if not _results_shown(await _poll_of(info, option)):
        return None
    return await poll_loaders(info.context).vote_counts_by_option.load(option.pk)


@strawberry_django.type(
    PollOptionModel,
    name="PollOption",
    description="One answer of a poll.",
)
class PollOption(relay.Node):
    _id_attr = NODE_ID_ATTR
    text: str

    @strawberry_django.field(
        only=["poll"],
        description="How many voters chose it; null while the results are "
        "hidden until the poll closes.",
    )
    @on_the_loop
    def vote_count(self, info: Info) -> int | None:
        if not PollOptionModel.poll.is_cached(self):
            return _vote_count_through_poll(info, self)
        if not _results_shown(self.poll):
            return None
        return poll_loaders(info.context).vote_counts_by_option.get(self, self.pk)

    @strawberry_django.field(
        only=["poll", "is_correct"],
        description="Whether it is a right answer of a quiz: null until the quiz "
        "is closed, and always null on a poll that is not a quiz.",
    )
    async def is_correct(self, info: Info) -> bool | None:
        poll = await _poll_of(info, self)
        if poll is None or not poll.is_quiz or not poll.is_closed_at(timezone.now()):
            return None
        return self.is_correct

    @strawberry_django.connection(
        Connection[User],
        description="Who chose it, by name: always empty on an anonymous poll, "
        "and while the results are hidden. Under a list of options, every "
        "option's page is read in one query.",
    )
    @on_the_loop
    def voters(self, info: Info) -> Iterable[UserModel]:
        viewer, now = info.context.viewer, timezone.now()

        def voters_of(options: Iterable[int]) -> QuerySet[UserModel]:
            # A row per voter and option chosen, naming the option (`voted_for`).
            ballots = access.ballots_with_visible_voters(now).filter(
                option_id__in=options
            )
            return (
                access.user_visible_to(viewer)
                .filter(poll_ballots__in=ballots)
                .annotate(voted_for=F("poll_ballots__option_id"))
                .order_by("display_name", "username")  # the directory's order
            )

        return batches.connection_nodes(info, self, "voted_for", voters_of)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.poll_option_visible_to(info.context.viewer, queryset)


@strawberry_django.type(
    PollModel,
    name="Poll",
    description="The poll of a post; a quiz when it has right answers.",
)
class Poll(relay.Node):
    _id_attr = NODE_ID_ATTR
    question: str
    is_multiple_choice: bool = strawberry_django.field(
        description="Whether a voter may choose several options."
    )
    is_anonymous: bool = strawberry_django.field(
        description="Whether nobody, administrators included, can learn who "
        "chose what (`voters` stays empty)."
    )
    is_quiz: bool = strawberry_django.field(
        description="Whether it has right answers (`isCorrect`, `winners`)."
    )
    hide_results_until_closed: bool = strawberry_django.field(
        description="Whether counts and voters stay hidden (null) until it closes."
    )
    closes_at: datetime | None = strawberry_django.field(
        description="When it stops taking votes; null if it stays open until "
        "closed by hand."
    )
    closed_at: datetime | None = strawberry_django.field(
        description="When it was closed by hand (closePoll); null otherwise."
    )
    created_at: datetime

    @strawberry_django.field(
        only=["closes_at", "closed_at"],
        description="Whether it takes no more votes: closed by hand, or past "
        "`closesAt`.",
    )
    def is_closed(self) -> bool:
        return self.is_closed_at(timezone.now())

    @strawberry_django.field(only=["post"], description="The post it belongs to.")
    async def post(
        self, info: Info
    ) -> Annotated["Post", strawberry.lazy("graphql_schema.posts.types")] | None:
        return await info.context.loaders.posts_by_id.load(self.post_id)

    @strawberry_django.field(only=[], description="Its options, in order.")
    @on_the_loop
    def options(self, info: Info) -> list[PollOption]:
        options = poll_loaders(info.context).options_by_poll.get(self, self.pk)
        return then(options, lambda options: _listed_under(self, options))

    @strawberry_django.field(
        only=["hide_results_until_closed", "closes_at", "closed_at"],
        description="How many people voted; null while the results are hidden "
        "until it closes.",
    )
    async def total_voters(self, info: Info) -> int | None:
        if not access.can_see_poll_results(self, timezone.now()):
            return None
        return await poll_loaders(info.context).voter_counts_by_poll.load(self.pk)

    @strawberry_django.field(
        only=[],
        description="The options the viewer chose (empty if they did not vote), "
        "shown to them even while the results are hidden.",
    )
    async def viewer_voted_options(self, info: Info) -> list[PollOption]:
        loaders = poll_loaders(info.context)
        chosen = await loaders.viewer_choices_by_poll.load(self.pk)
        if not chosen:
            return []
        options = await loaders.options_by_poll.load(self.pk)
        return _listed_under(
            self, [option for option in options if option.pk in chosen]
        )

    @strawberry_django.field(
        only=["post", "closes_at", "closed_at"],
        description="Whether the viewer may close it: an open poll, and the "
        "post's author, an owner or admin of its group, or an organisation admin.",
    )
    async def viewer_can_close(self, info: Info) -> bool:
        viewer = info.context.viewer
        if not access.is_signed_in(viewer) or self.is_closed_at(timezone.now()):
            return False
        post = await info.context.loaders.posts_by_id.load(self.post_id)
        if post is None:
            return False
        membership = None
        if post.group_id is not None:
            loader = info.context.loaders.viewer_memberships_by_group
            membership = await loader.load(post.group_id)
        return access.can_organise_poll(viewer, post, membership)

    @strawberry_django.connection(
        Connection[User],
        description="The voters whose choice is exactly the right answer, "
        "earliest (latest change of choice) first: for the organisers of a named "
        "quiz once it is closed; empty otherwise, and always on an anonymous quiz. "
        "Under a list of polls, every quiz's page is read in one query.",
    )
    @on_the_loop
    def winners(self, info: Info) -> Iterable[UserModel]:
        viewer, now = info.context.viewer, timezone.now()

        def winners_of(polls: Iterable[int]) -> QuerySet[UserModel]:
            # A row per winner and quiz won, naming the quiz (`won_for`).
            won = quiz_winners(
                access.polls_with_winners_visible_to(viewer, now).filter(pk__in=polls)
            )
            return (
                access.user_visible_to(viewer)
                .filter(poll_participations__in=won)
                .annotate(
                    won_for=F("poll_participations__poll_id"),
                    won_at=F("poll_participations__voted_at"),
                )
                .order_by("won_at", "pk")
            )

        return batches.connection_nodes(info, self, "won_for", winners_of)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return access.poll_visible_to(info.context.viewer, queryset)


# What a page shows of polls, fetched with the page (graphql_schema.batches).
def _vote_count_key(option: PollOptionModel, arguments: dict) -> int | None:
    shown = PollOptionModel.poll.is_cached(option) and _results_shown(option.poll)
    return option.pk if shown else None


batched(
    PollModel,
    options=PageBatch(
        lambda c: poll_loaders(c).options_by_poll,
        lambda poll, arguments: poll.pk,
        attach=_listed_under,
    ),
)
batched(
    PollOptionModel,
    voteCount=PageBatch(
        lambda c: poll_loaders(c).vote_counts_by_option, _vote_count_key
    ),
)
