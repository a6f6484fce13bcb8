from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from people.models import Department, User


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
