"""Mutations on polls: vote and closePoll (polls are created by createPost)."""

from datetime import datetime

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import UserError, perform, signed_in_viewer
from graphql_schema.ids import pk_of
from graphql_schema.polls.types import Poll
from social.actions.polls import PollSpec, poll_close, poll_vote
from social.errors import DomainError, ErrorCode


@strawberry.input(description="The poll of a post being created.")
class PollInput:
    question: str = strawberry.field(description="At most 500 characters.")
    options: list[str] = strawberry.field(
        description="2 to 20 distinct texts of at most 200 characters, in order."
    )
    is_multiple_choice: bool = False
    is_anonymous: bool = strawberry.field(
        default=False,
        description="Nobody, administrators included, can learn who chose what.",
    )
    hide_results_until_closed: bool = strawberry.field(
        default=False,
        description="Counts and voters stay hidden from everyone until it closes.",
    )
    closes_at: datetime | None = strawberry.field(
        default=None, description="When it stops taking votes (in the future)."
    )
    correct_option_index: int | None = strawberry.field(
        default=None,
        description="Makes it a quiz: the index (from 0) of the right option.",
    )
    correct_option_indexes: list[int] | None = strawberry.field(
        default=None,
        description="Makes it a quiz: the indexes of the right options (several "
        "for a multiple-choice quiz). Not together with correctOptionIndex.",
    )


def poll_spec(value: PollInput | None) -> PollSpec | None:
    """The action's PollSpec of a PollInput (raises INVALID for both kinds of
    correct answers at once)."""
    if value is None:
        return None
    if value.correct_option_index is not None and value.correct_option_indexes:
        raise DomainError(
            ErrorCode.INVALID,
            "Give correctOptionIndex or correctOptionIndexes, not both.",
            "poll.correctOptionIndexes",
        )
    indexes = list(value.correct_option_indexes or [])
    if value.correct_option_index is not None:
        indexes = [value.correct_option_index]
    return PollSpec(
        question=value.question,
        options=list(value.options),
        is_multiple_choice=value.is_multiple_choice,
        is_anonymous=value.is_anonymous,
        hide_results_until_closed=value.hide_results_until_closed,
        closes_at=value.closes_at,
        correct_option_indexes=indexes,
    )


@strawberry.input
class VoteInput:
    poll_id: relay.GlobalID
    option_ids: list[relay.GlobalID] = strawberry.field(
        description="The chosen PollOptions (one on a single-choice poll); an "
        "empty list withdraws one's vote."
    )


@strawberry.type
class VotePayload:
    poll: Poll | None
    errors: list[UserError]


@strawberry.input
class ClosePollInput:
    poll_id: relay.GlobalID


@strawberry.type
class ClosePollPayload:
    poll: Poll | None
    errors: list[UserError]


@strawberry.type
class PollMutations:
    @strawberry.mutation(
        description="Choose options of an open poll one may read, replacing "
        "one's previous choice; an empty list withdraws it."
    )
    async def vote(self, info: Info, input: VoteInput) -> VotePayload:
        viewer = signed_in_viewer(info)
        poll, errors = await perform(
            lambda: poll_vote(
                actor=viewer,
                poll_id=pk_of(input.poll_id, "Poll", "pollId"),
                option_ids=[
                    pk_of(option_id, "PollOption", "optionIds")
                    for option_id in input.option_ids
                ],
            )
        )
        return VotePayload(poll=poll, errors=errors)

    @strawberry.mutation(
        description="Close a poll for good: the post's author, an owner or admin "
        "of its group, or an organisation admin. Reveals a quiz's answers."
    )
    async def close_poll(self, info: Info, input: ClosePollInput) -> ClosePollPayload:
        viewer = signed_in_viewer(info)
        poll, errors = await perform(
            lambda: poll_close(
                actor=viewer, poll_id=pk_of(input.poll_id, "Poll", "pollId")
            )
        )
        return ClosePollPayload(poll=poll, errors=errors)
