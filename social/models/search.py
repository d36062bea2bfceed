"""The search index: one row per searchable object, the same on both backends."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver


class SearchKind(models.TextChoices):
    POST = "POST", "Post"
    COMMENT = "COMMENT", "Comment"
    GROUP = "GROUP", "Group"
    USER = "USER", "User"
    MESSAGE = "MESSAGE", "Message"


class SearchEntry(models.Model):
    """What search matches for one object; never edited by hand (social.search).

    `group_id` is the visibility key of posts, comments and groups (their group),
    `conversation_id` that of chat messages;
    who may read what is decided at query time by access.search_scope. On
    PostgreSQL `document` is the French tsvector (GIN-indexed by the migration);
    on SQLite the FTS5 table `search_fts` (rowid = id) holds the stemmed text.
    """

    kind = models.CharField(max_length=16, choices=SearchKind.choices)
    object_id = models.BigIntegerField()
    group_id = models.BigIntegerField(null=True, blank=True)
    # The visibility key of chat messages: their conversation.
    conversation_id = models.BigIntegerField(null=True, blank=True)
    # Accent- and case-folded names of people and groups, for typo matching.
    names = models.CharField(max_length=600, blank=True)
    # The plain text shown in snippets (escaped when shown).
    text = models.TextField(blank=True)
    document = SearchVectorField(null=True, editable=False)

    class Meta:
        app_label = "social"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="searchentry_unique_object"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "group_id"], name="searchentry_kind_group"),
            models.Index(
                fields=["kind", "conversation_id"], name="searchentry_conversation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


# People are created in many places (invitations, imports, the admin, fixtures):
# their entry follows every save of the model, in the saving transaction.
@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _index_saved_user(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from social.search import index_user

    index_user(instance)


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _unindex_deleted_user(sender, instance, **kwargs) -> None:
    from social.search import unindex_user

    unindex_user(instance.pk)


# Deletions cascade (a group takes its posts, a post its comments, a person their
# posts): each deleted row drops its own entry, in the deleting transaction.
@receiver(post_delete, sender="social.Post")
def _unindex_deleted_post(sender, instance, **kwargs) -> None:
    from social.search import unindex_post

    unindex_post(instance.pk)


@receiver(post_delete, sender="social.Comment")
def _unindex_deleted_comment(sender, instance, **kwargs) -> None:
    from social.search import unindex_comment

    unindex_comment(instance.pk)


@receiver(post_delete, sender="social.Group")
def _unindex_deleted_group(sender, instance, **kwargs) -> None:
    from social.search import unindex_group

    unindex_group(instance.pk)


@receiver(post_delete, sender="social.Message")
def _unindex_deleted_message(sender, instance, **kwargs) -> None:
    from social.search import unindex_message

    unindex_message(instance.pk)
