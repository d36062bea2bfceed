"""The Django admin: people, departments, sites, invitations, groups and posts."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from social.actions.auth import token_revoke_all
from social.actions.users import user_deactivate, user_reactivate
from social.errors import DomainError
from social.markdown import render_markdown
from social.models import (
    Comment,
    Department,
    Group,
    Invitation,
    Membership,
    MembershipStatus,
    Post,
    Site,
    User,
)
from social.phones import normalize_phone


class ParvisUserChangeForm(UserChangeForm):
    """Store phones as the API does, so that signing in by phone finds them."""

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except DomainError as error:
            raise forms.ValidationError(error.message) from error


@admin.register(User)
class ParvisUserAdmin(UserAdmin):
    """People: who they are, where they work, their role and whether active."""

    form = ParvisUserChangeForm
    list_display = (
        "display_name",
        "username",
        "department",
        "site",
        "role",
        "is_active",
        "last_seen_at",
    )
    list_filter = ("department", "site", "role", "is_active")
    list_select_related = ("department", "site")
    search_fields = (
        "username",
        "display_name",
        "first_name",
        "last_name",
        "phone",
        "email",
    )
    ordering = ("display_name", "username")
    readonly_fields = ("last_seen_at", "last_login", "date_joined")
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "Parvis",
            {
                "fields": (
                    "display_name",
                    "job_title",
                    "department",
                    "site",
                    "phone",
                    "role",
                    "last_seen_at",
                )
            },
        ),
    )
    actions = ("deactivate_users", "reactivate_users")

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        """Unticking "active" signs the user out of every device, as the API does."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            token_revoke_all(user=obj)

    @admin.action(description="Deactivate the selected users (revokes their tokens)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, user_deactivate, "deactivated")

    @admin.action(description="Reactivate the selected users")
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._apply(request, queryset, user_reactivate, "reactivated")

    def _apply(self, request, queryset, action, done: str) -> None:
        """Run an administration action per user, with the API's rules."""
        count = 0
        for user in queryset:
            try:
                action(actor=request.user, user_id=user.pk)
            except DomainError as error:
                self.message_user(request, f"{user}: {error.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(request, f"{count} user(s) {done}.", messages.SUCCESS)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Municipal services, with how many people work in each."""

    list_display = ("name", "slug", "member_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Department) -> int:
        return obj.member_count


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """Places of work."""

    list_display = ("name", "address")
    search_fields = ("name", "address")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations, for follow-up; codes are made by createInvitation or
    `manage.py import_agents`, and only their hash is stored, so it is never shown.
    """

    list_display = (
        "display_name",
        "department",
        "site",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
    )
    list_filter = ("role", "department", "site", "accepted_at")
    list_select_related = ("department", "site")
    search_fields = ("display_name", "first_name", "last_name", "phone", "email")
    exclude = ("code_hash",)
    readonly_fields = ("created_by", "created_at", "accepted_at", "user")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A code is generated and shown once by the API; the admin cannot make one.
        return False


class MembershipInline(admin.TabularInline):
    """A group's members and requests, with their role."""

    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "status", "created_at")
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    """Groups, with their members and how many they are."""

    list_display = (
        "name",
        "slug",
        "kind",
        "visibility",
        "department",
        "member_count",
        "created_at",
    )
    list_filter = ("kind", "visibility", "department")
    list_select_related = ("department",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_by", "created_at")
    inlines = (MembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        active = Q(memberships__status=MembershipStatus.ACTIVE)
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("memberships", filter=active))
        )

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Group) -> int:
        return obj.member_count


class RenderedBodyAdmin(admin.ModelAdmin):
    """Posts and comments: read and moderated here, written through the API.

    A body changed here is rendered again and marked edited, as the API does.
    """

    search_fields = ("body", "author__username", "author__display_name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Written through the API, whose rules say who may write where.
        return False

    @admin.display(description="body")
    def excerpt(self, obj: Post | Comment) -> str:
        return Truncator(obj.body).chars(80)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if "body" in form.changed_data:
            obj.body_html = render_markdown(obj.body)
            obj.edited_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Post)
class PostAdmin(RenderedBodyAdmin):
    """Posts; those without a group are organisation-wide."""

    list_display = (
        "excerpt",
        "author",
        "group",
        "is_announcement",
        "is_pinned",
        "created_at",
    )
    list_filter = ("is_announcement", "is_pinned", "group__kind", "group")
    list_select_related = ("author", "group")
    search_fields = (*RenderedBodyAdmin.search_fields, "group__name")
    fields = (
        "author",
        "group",
        "body",
        "is_announcement",
        "is_pinned",
        "created_at",
        "edited_at",
    )
    readonly_fields = ("author", "group", "created_at", "edited_at")


@admin.register(Comment)
class CommentAdmin(RenderedBodyAdmin):
    """Comments and replies (a reply has a parent)."""

    list_display = ("excerpt", "author", "post", "parent", "created_at")
    list_filter = ("post__group",)
    list_select_related = ("author", "post", "parent")
    fields = ("author", "post", "parent", "body", "created_at", "edited_at")
    readonly_fields = ("author", "post", "parent", "created_at", "edited_at")
