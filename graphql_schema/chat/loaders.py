"""Dataloaders of chat: participants, latest messages, unread counts and read
receipts of a page of conversations, one query each whatever the page size
(graphql_schema.posts.loaders)."""

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Count, F

from graphql_schema.batches import BatchLoader, kept_loaders
from graphql_schema.posts.loaders import _counts_by
from social import access
from social.models import Conversation, Message, Participant

if TYPE_CHECKING:
    from graphql_schema.context import Context, Info


class ChatLoaders:
    """The chat loaders of one context, kept beside its `loaders`."""

    def __init__(self, context: "Context") -> None:
        self.context = context
        self.conversations_by_id = BatchLoader(self._conversations_by_id)
        self.participants_by_conversation = BatchLoader(
            self._participants_by_conversation, list
        )
        self.last_messages_by_conversation = BatchLoader(
            self._last_messages_by_conversation
        )
        self.unread_counts_by_conversation = BatchLoader(
            self._unread_counts_by_conversation, int
        )
        self.messages_by_sequence = BatchLoader(self._messages_by_sequence)

    @property
    def viewer(self) -> access.Viewer:
        return self.context.viewer

    def _conversations_by_id(self, keys: list[int]) -> dict[int, Conversation]:
        conversations = access.conversation_visible_to(self.viewer).filter(pk__in=keys)
        return {conversation.pk: conversation for conversation in conversations}

    def _participants_by_conversation(
        self, keys: list[int]
    ) -> dict[int, list[Participant]]:
        """The participants of each conversation, in the order they joined, with
        their user (department and site joined, as users_by_id does)."""
        found: dict[int, list[Participant]] = defaultdict(list)
        participants = (
            access.participant_visible_to(self.viewer)
            .filter(conversation_id__in=keys)
            .select_related("user__department", "user__site")
            .order_by("conversation_id", "joined_at", "pk")
        )
        for participant in participants:
            found[participant.conversation_id].append(participant)
        return found

    def _last_messages_by_conversation(self, keys: list[int]) -> dict[int, Message]:
        messages = access.message_visible_to(self.viewer).filter(
            conversation_id__in=keys, sequence=F("conversation__last_sequence")
        )
        return {message.conversation_id: message for message in messages}

    def _unread_counts_by_conversation(self, keys: list[int]) -> dict[int, int]:
        """Messages by others, not deleted, after the viewer's read receipt."""
        if not access.is_signed_in(self.viewer):
            return {}
        rows = (
            Message.objects.filter(
                conversation_id__in=keys,
                conversation__participants__user_id=self.viewer.pk,
                sequence__gt=F("conversation__participants__last_read_sequence"),
                deleted_at__isnull=True,
            )
            .exclude(author_id=self.viewer.pk)
            .values("conversation_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return _counts_by(rows, "conversation_id")

    def _messages_by_sequence(
        self, keys: list[tuple[int, int]]
    ) -> dict[tuple[int, int], Message]:
        """Messages by (conversation id, sequence): the read receipts' messages."""
        conversation_ids = {conversation_id for conversation_id, _ in keys}
        sequences = {sequence for _, sequence in keys}
        messages = access.message_visible_to(self.viewer).filter(
            conversation_id__in=conversation_ids, sequence__in=sequences
        )
        return {(m.conversation_id, m.sequence): m for m in messages}


def chat_loaders(info: "Info") -> ChatLoaders:
    """The chat loaders of the request or socket, made on first use."""
    return kept_loaders(info.context, "chat", ChatLoaders)
