"""Credentials: bearer tokens, one per device, and invitations."""

import hashlib

from django.conf import settings
from django.db import models

from social.models.users import Role


def digest(secret: str) -> str:
    """The stored form of a token or code: its SHA-256, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessToken(models.Model):
    """A bearer token of one device; only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="token_user_live")]

    def __str__(self) -> str:
        return f"{self.user} on {self.name or self.user_agent or 'a device'}"


class Invitation(models.Model):
    """A one-time access code that becomes an account; only its hash is stored."""

    code_hash = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=150)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey(
        "social.Department", null=True, blank=True, on_delete=models.SET_NULL
    )
    site = models.ForeignKey(
        "social.Site", null=True, blank=True, on_delete=models.SET_NULL
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="invitations_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Invitation of {self.display_name}"
