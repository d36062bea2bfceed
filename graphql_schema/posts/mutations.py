"""Mutations on posts, comments and reactions."""

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import UserError, perform, signed_in_viewer
from graphql_schema.ids import pk_of
from graphql_schema.polls.mutations import PollInput, poll_spec
from graphql_schema.posts.types import Comment, Post, ReactionKind, ReactionSubject
from social.actions.comments import comment_add, comment_delete, comment_update
from social.actions.posts import post_create, post_delete, post_pin, post_update
from social.actions.reactions import reaction_remove, reaction_set
from social.errors import DomainError, ErrorCode

# Global IDs are decoded inside the action's call (`perform`), so that an ID of
# the wrong type is a NOT_FOUND in the payload, like a missing object.


@strawberry.input
class CreatePostInput:
    group_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The group to post in; null posts to the whole organisation "
        "(communicators and administrators).",
    )
    body: str = strawberry.field(description="Markdown, at most 20,000 characters.")
    is_announcement: bool = strawberry.field(
        default=False,
        description="An announcement (communicators and administrators).",
    )
    poll: PollInput | None = strawberry.field(
        default=None,
        description="A poll or quiz, created with the post (both or nothing).",
    )


@strawberry.type
class CreatePostPayload:
    post: Post | None
    errors: list[UserError]


@strawberry.input
class UpdatePostInput:
    post_id: relay.GlobalID
    body: str = strawberry.field(description="Markdown, at most 20,000 characters.")


@strawberry.type
class UpdatePostPayload:
    post: Post | None
    errors: list[UserError]


@strawberry.input
class DeletePostInput:
    post_id: relay.GlobalID


@strawberry.type
class DeletePostPayload:
    post_id: relay.GlobalID | None = strawberry.field(
        description="The ID of the deleted post."
    )
    errors: list[UserError]


@strawberry.input
class PinPostInput:
    post_id: relay.GlobalID
    pinned: bool = True


@strawberry.type
class PinPostPayload:
    post: Post | None
    errors: list[UserError]


@strawberry.input
class AddCommentInput:
    post_id: relay.GlobalID
    body: str = strawberry.field(description="Markdown, at most 5,000 characters.")
    parent_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The comment to reply to; a reply to a reply joins the "
        "thread of its top-level comment.",
    )


@strawberry.type
class AddCommentPayload:
    comment: Comment | None
    errors: list[UserError]


@strawberry.input
class UpdateCommentInput:
    comment_id: relay.GlobalID
    body: str = strawberry.field(description="Markdown, at most 5,000 characters.")


@strawberry.type
class UpdateCommentPayload:
    comment: Comment | None
    errors: list[UserError]


@strawberry.input
class DeleteCommentInput:
    comment_id: relay.GlobalID


@strawberry.type
class DeleteCommentPayload:
    comment_id: relay.GlobalID | None = strawberry.field(
        description="The ID of the deleted comment."
    )
    post: Post | None = strawberry.field(
        description="The post it was on, with its new comment count."
    )
    errors: list[UserError]


@strawberry.input
class ReactInput:
    subject_id: relay.GlobalID = strawberry.field(
        description="The ID of a Post or a Comment."
    )
    kind: ReactionKind


@strawberry.type
class ReactPayload:
    subject: ReactionSubject | None
    errors: list[UserError]


@strawberry.input
class UnreactInput:
    subject_id: relay.GlobalID = strawberry.field(
        description="The ID of a Post or a Comment."
    )
    kind: ReactionKind | None = strawberry.field(
        default=None,
        description="If given, the reaction is removed only if it is of this "
        "kind (so a stale screen does not undo a newer choice).",
    )


@strawberry.type
class UnreactPayload:
    subject: ReactionSubject | None
    errors: list[UserError]


def _optional_pk(value: relay.GlobalID | None, type_name: str, field: str):
    return None if value is None else pk_of(value, type_name, field)


def _subject_keys(subject_id: relay.GlobalID) -> dict[str, int]:
    """`post_id=` or `comment_id=` for the actions, from a subject's global ID."""
    if subject_id.type_name == "Post":
        return {"post_id": pk_of(subject_id, "Post", "subjectId")}
    if subject_id.type_name == "Comment":
        return {"comment_id": pk_of(subject_id, "Comment", "subjectId")}
    raise DomainError(ErrorCode.NOT_FOUND, "Nothing to react to.", "subjectId")


def _kind(value) -> str | None:
    return None if value is None else value.value


@strawberry.type
class PostMutations:
    @strawberry.mutation(
        description="Publish a post in a group (its active members) or, with a "
        "null groupId, to the whole organisation (communicators and "
        "administrators)."
    )
    async def create_post(
        self, info: Info, input: CreatePostInput
    ) -> CreatePostPayload:
        viewer = signed_in_viewer(info)
        post, errors = await perform(
            lambda: post_create(
                actor=viewer,
                group_id=_optional_pk(input.group_id, "Group", "groupId"),
                body=input.body,
                is_announcement=input.is_announcement,
                poll=poll_spec(input.poll),
            )
        )
        return CreatePostPayload(post=post, errors=errors)

    @strawberry.mutation(description="Change the body of one's own post.")
    async def update_post(
        self, info: Info, input: UpdatePostInput
    ) -> UpdatePostPayload:
        viewer = signed_in_viewer(info)
        post, errors = await perform(
            lambda: post_update(
                actor=viewer,
                post_id=pk_of(input.post_id, "Post", "postId"),
                body=input.body,
            )
        )
        return UpdatePostPayload(post=post, errors=errors)

    @strawberry.mutation(
        description="Delete a post with its comments: its author, an owner or "
        "admin of its group, or an organisation admin."
    )
    async def delete_post(
        self, info: Info, input: DeletePostInput
    ) -> DeletePostPayload:
        viewer = signed_in_viewer(info)
        _, errors = await perform(
            lambda: post_delete(
                actor=viewer, post_id=pk_of(input.post_id, "Post", "postId")
            )
        )
        return DeletePostPayload(
            post_id=None if errors else input.post_id, errors=errors
        )

    @strawberry.mutation(
        description="Pin a post on top of its group (owners and admins of the "
        "group) or of the organisation-wide feed (communicators and "
        "administrators), or unpin it."
    )
    async def pin_post(self, info: Info, input: PinPostInput) -> PinPostPayload:
        viewer = signed_in_viewer(info)
        post, errors = await perform(
            lambda: post_pin(
                actor=viewer,
                post_id=pk_of(input.post_id, "Post", "postId"),
                pinned=input.pinned,
            )
        )
        return PinPostPayload(post=post, errors=errors)

    @strawberry.mutation(
        description="Comment on a post one may read, or reply to one of its comments."
    )
    async def add_comment(
        self, info: Info, input: AddCommentInput
    ) -> AddCommentPayload:
        viewer = signed_in_viewer(info)
        comment, errors = await perform(
            lambda: comment_add(
                actor=viewer,
                post_id=pk_of(input.post_id, "Post", "postId"),
                body=input.body,
                parent_id=_optional_pk(input.parent_id, "Comment", "parentId"),
            )
        )
        return AddCommentPayload(comment=comment, errors=errors)

    @strawberry.mutation(description="Change the body of one's own comment.")
    async def update_comment(
        self, info: Info, input: UpdateCommentInput
    ) -> UpdateCommentPayload:
        viewer = signed_in_viewer(info)
        comment, errors = await perform(
            lambda: comment_update(
                actor=viewer,
                comment_id=pk_of(input.comment_id, "Comment", "commentId"),
                body=input.body,
            )
        )
        return UpdateCommentPayload(comment=comment, errors=errors)

    @strawberry.mutation(
        description="Delete a comment with its replies: its author, an owner or "
        "admin of the post's group, or an organisation admin."
    )
    async def delete_comment(
        self, info: Info, input: DeleteCommentInput
    ) -> DeleteCommentPayload:
        viewer = signed_in_viewer(info)
        comment, errors = await perform(
            lambda: comment_delete(
                actor=viewer,
                comment_id=pk_of(input.comment_id, "Comment", "commentId"),
            )
        )
        if errors:
            return DeleteCommentPayload(comment_id=None, post=None, errors=errors)
        return DeleteCommentPayload(
            comment_id=input.comment_id, post=comment.post, errors=[]
        )

    @strawberry.mutation(
        description="React to a post or a comment one may read; replaces one's "
        "previous reaction to it."
    )
    async def react(self, info: Info, input: ReactInput) -> ReactPayload:
        viewer = signed_in_viewer(info)
        subject, errors = await perform(
            lambda: reaction_set(
                actor=viewer, kind=_kind(input.kind), **_subject_keys(input.subject_id)
            )
        )
        return ReactPayload(subject=subject, errors=errors)

    @strawberry.mutation(
        description="Remove one's reaction to a post or a comment (only if of "
        "`kind`, when given); removing no reaction is not an error."
    )
    async def unreact(self, info: Info, input: UnreactInput) -> UnreactPayload:
        viewer = signed_in_viewer(info)
        subject, errors = await perform(
            lambda: reaction_remove(
                actor=viewer, kind=_kind(input.kind), **_subject_keys(input.subject_id)
            )
        )
        return UnreactPayload(subject=subject, errors=errors)
