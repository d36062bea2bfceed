"""Chat: direct and group conversations, their participants and messages.

A conversation is read by its current participants only (social.access). Its
messages are numbered by `sequence`, 1, 2, 3... without gaps, allocated under
the conversation's row lock (`Conversation.last_sequence`), so that paging by
sequence never skips nor repeats a message while others are being sent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ConversationKind(models.TextChoices):
    """DIRECT: between exactly two people, one per pair. GROUP: a titled (or
    untitled) conversation whose participants change."""

    DIRECT = "DIRECT", "Direct"
    GROUP = "GROUP", "Group"


def direct_key(user_id: int, other_id: int) -> str:
    """The key of the one direct conversation between two people: "min:max"."""
    low, high = sorted((user_id, other_id))
    return f"{low}:{high}"


class Conversation(models.Model):
    """A direct or group conversation."""

    kind = models.CharField(max_length=8, choices=ConversationKind.choices)
    title = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The last activity: creation, then each message sent. Lists sort on it.
    updated_at = models.DateTimeField(default=timezone.now)
    # The sequence of the latest message (0: none yet); the next one takes +1.
    last_sequence = models.PositiveBigIntegerField(default=0)
    # "minpk:maxpk" of the two people of a DIRECT conversation, null for GROUP:
    # unique, so that two concurrent starts of one pair make one conversation.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True)

    class Meta:
        ordering = ("-updated_at", "-pk")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="conversation_activity")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=ConversationKind.DIRECT, direct_key__isnull=False)
                | Q(kind=ConversationKind.GROUP, direct_key__isnull=True),
                name="conversation_direct_key_iff_direct",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} conversation {self.pk}"


class Participant(models.Model):
    """A person taking part in a conversation now; leaving deletes the row.

    `last_read_sequence` is the sequence of the latest message they have read
    (their read receipt); messages after it by others are unread.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_participations",
    )
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_sequence = models.PositiveBigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="participant_once"
            )
        ]
        indexes = [
            models.Index(fields=["user", "conversation"], name="participant_user")
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} in conversation {self.conversation_id}"


class Message(models.Model):
    """A message of a conversation; deleting it leaves a tombstone (no body).

    `client_id` is chosen by the sending device: a retry with the same one
    returns the first message instead of sending it twice. `client_digest`
    fingerprints what was first sent (conversation and body), so that a retry
    is recognised even after the message was edited or deleted.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_messages",
    )
    sequence = models.PositiveBigIntegerField()
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    client_id = models.CharField(max_length=64)
    client_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("conversation", "sequence")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sequence"], name="message_sequence_once"
            ),
            models.UniqueConstraint(
                fields=["author", "client_id"], name="message_client_id_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.sequence} of conversation {self.conversation_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
