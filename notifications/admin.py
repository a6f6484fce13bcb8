from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "is_read"]
    list_filter = ["kind", "is_read"]
    search_fields = ["recipient__email", "text"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["recipient", "kind", "text", "link", "created_at"]
    date_hierarchy = "created_at"
