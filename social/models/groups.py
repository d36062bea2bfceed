"""Groups by topic, project, department or for fun, and their members."""

from django.conf import settings
from django.db import models


class GroupKind(models.TextChoices):
    TOPIC = "TOPIC", "Topic"
    PROJECT = "PROJECT", "Project"
    DEPARTMENT = "DEPARTMENT", "Department"
    SOCIAL = "SOCIAL", "Social"


class Visibility(models.TextChoices):
    """PUBLIC: anyone signed in reads and joins. PRIVATE: listed, content for
    members, joining needs an admin's approval. SECRET: invisible to non-members."""

    PUBLIC = "PUBLIC", "Public"
    PRIVATE = "PRIVATE", "Private"
    SECRET = "SECRET", "Secret"


class GroupRole(models.TextChoices):
    OWNER = "OWNER", "Owner"
    ADMIN = "ADMIN", "Admin"
    MEMBER = "MEMBER", "Member"


class MembershipStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    PENDING = "PENDING", "Pending approval"


class Group(models.Model):
    """A place to gather and post; its visibility decides who sees what."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=GroupKind.choices)
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    department = models.ForeignKey(
        "social.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="groups",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="groups_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in a group: a role, and ACTIVE or PENDING (a request)."""

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=16, choices=GroupRole.choices, default=GroupRole.MEMBER
    )
    status = models.CharField(
        max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="membership_unique")
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="membership_user_status"),
            models.Index(fields=["group", "status"], name="membership_group_status"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role}, {self.status})"
