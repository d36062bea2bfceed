"""Posts, comments and reactions."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Post(models.Model):
    """A post in a group, or organisation-wide when `group` is null."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    group = models.ForeignKey(
        "social.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="posts",
    )
    body = models.TextField()
    # Rendered from `body` by social.markdown on every write; never edited by hand.
    body_html = models.TextField(editable=False)
    is_announcement = models.BooleanField(default=False)
    is_pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["group", "-created_at"], name="post_group_created"),
            models.Index(
                fields=["-is_pinned", "-created_at"], name="post_pinned_created"
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id}"


class Comment(models.Model):
    """A comment on a post; a reply has a `parent` (one level deep)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    body = models.TextField()
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        indexes = [
            models.Index(fields=["post", "created_at"], name="comment_post_created")
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on post {self.post_id}"


class ReactionKind(models.TextChoices):
    LIKE = "LIKE", "Like"
    LOVE = "LOVE", "Love"
    BRAVO = "BRAVO", "Bravo"
    FUNNY = "FUNNY", "Funny"
    INSIGHTFUL = "INSIGHTFUL", "Insightful"


class Reaction(models.Model):
    """One user's reaction to a post or to a comment (exactly one of them)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions"
    )
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reactions",
    )
    kind = models.CharField(max_length=16, choices=ReactionKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False, comment__isnull=True)
                | Q(post__isnull=True, comment__isnull=False),
                name="reaction_one_subject",
            ),
            models.UniqueConstraint(
                fields=["user", "post"],
                condition=Q(post__isnull=False),
                name="reaction_one_per_user_post",
            ),
            models.UniqueConstraint(
                fields=["user", "comment"],
                condition=Q(comment__isnull=False),
                name="reaction_one_per_user_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.user_id}"
