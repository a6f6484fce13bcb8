from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from people.models import Department, StaffAction, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name_fi", "name_sv", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "handle", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups", "departments"]
    search_fields = ["email", "display_name", "handle"]
    filter_horizontal = ["groups", "user_permissions", "departments"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {"fields": ["display_name", "handle", "preferred_language", "neighbourhood", "email_notifications"]},
        ),
        (_("Roles"), {"fields": ["is_active", "is_staff", "groups", "departments", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(StaffAction)
class StaffActionAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the services, never edited."""

    list_display = ["created_at", "actor", "action", "target", "reason"]
    list_filter = ["action"]
    search_fields = ["target", "reason", "actor__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        from people.roles import is_city_admin

        return is_city_admin(request.user)
