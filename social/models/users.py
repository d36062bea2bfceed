"""People."""

import re
import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

DISPLAY_NAME_MAX_LENGTH = 150


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents ("Grégoire" -> "gregoire")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Role(models.TextChoices):
    """What a user may do organisation-wide."""

    AGENT = "AGENT", "Agent"
    COMMUNICATOR = "COMMUNICATOR", "Communicator"
    ADMIN = "ADMIN", "Administrator"


class ParvisUserManager(UserManager):
    """Users are made without an email: field agents often have none."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """Create an organisation administrator."""
        extra_fields.setdefault("display_name", username)
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class UsernameValidator(UnicodeUsernameValidator):
    """Letters, digits and . + - _ only, and never the shape of a phone number.

    Sign-in takes a username, a phone number or an email in one field: a username
    that looked like someone's email or phone would capture their sign-in.
    """

    regex = r"^[\w.+-]+\Z"
    message = "A username has letters, digits and . + - _ only."

    def __call__(self, value: str) -> None:
        super().__call__(value)
        digits = re.sub(r"[\s.+()/-]", "", value)
        if digits.isdigit() and len(digits) >= 6:
            raise ValidationError(
                "A username cannot be a phone number.", code="invalid"
            )


class User(AbstractUser):
    """An agent of the organisation; email and phone are optional."""

    username_validator = UsernameValidator()
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="150 characters at most: letters, digits and . + - _ only.",
        validators=[username_validator],
        error_messages={"unique": "A user with that username already exists."},
    )

    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey(
        "social.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    site = models.ForeignKey(
        "social.Site",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # Normalised to digits with an optional leading "+" (social.phones).
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Accent- and case-folded names, for the directory search on every database.
    search_text = models.CharField(max_length=600, blank=True, editable=False)

    REQUIRED_FIELDS: list[str] = []

    objects = ParvisUserManager()

    class Meta:
        ordering = ("display_name", "username")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_when_set",
            ),
            models.UniqueConstraint(
                "phone",
                condition=~models.Q(phone=""),
                name="user_phone_unique_when_set",
            ),
        ]
        indexes = [models.Index(fields=["search_text"], name="user_search_text")]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_org_admin(self) -> bool:
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    def folded_names(self) -> str:
        """The directory's search text: every name of the person, folded."""
        return fold(
            " ".join(
                (self.display_name, self.first_name, self.last_name, self.username)
            )
        )

    def save(self, *args, **kwargs) -> None:
        """Fill the display name when blank and refresh the search text."""
        if not self.display_name:
            self.display_name = (
                f"{self.first_name} {self.last_name}".strip() or self.username
            )
        self.search_text = self.folded_names()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text", "display_name"}
        super().save(*args, **kwargs)
