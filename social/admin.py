from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from social.models import User


@admin.register(User)
class ParvisUserAdmin(UserAdmin):
    """People, with the display name shown and searchable."""

    list_display = ("username", "display_name", "email", "is_active", "is_staff")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Parvis", {"fields": ("display_name",)}),
    )
