"""People."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

DISPLAY_NAME_MAX_LENGTH = 150


class ParvisUserManager(UserManager):
    """Users are made without an email: field agents often have none."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """Create an organisation administrator."""
        extra_fields.setdefault("display_name", username)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """An agent of the organisation; email is optional."""

    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)

    REQUIRED_FIELDS: list[str] = []

    objects = ParvisUserManager()

    class Meta:
        ordering = ("display_name", "username")

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs) -> None:
        """Fill the display name from the person's names when it is left blank."""
        if not self.display_name:
            self.display_name = (
                f"{self.first_name} {self.last_name}".strip() or self.username
            )
        super().save(*args, **kwargs)
