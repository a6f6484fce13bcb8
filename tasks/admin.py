from __future__ import annotations

from django.contrib import admin

from tasks.models import (
    Category,
    Claim,
    MarketRule,
    ScreeningDecision,
    ScreeningOverride,
    Task,
    TaskPolicy,
    TaskTemplate,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_fi", "posters", "reward_ceiling_cents", "blocked", "allows_auto_approval", "position"]
    list_editable = ["position"]
    list_filter = ["posters", "blocked"]
    search_fields = ["slug", "name_fi", "name_sv", "name_en"]


@admin.register(MarketRule)
class MarketRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "language", "action", "applies_to", "active"]
    list_filter = ["kind", "language", "action", "applies_to", "active"]
    search_fields = ["code", "phrases", "reason_fi"]
    filter_horizontal = ["allowed_categories"]


@admin.register(TaskPolicy)
class TaskPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "max_open_peer_tasks",
        "max_peer_tasks_per_month",
        "max_active_claims",
        "yearly_earnings_cap_cents",
        "earnings_warning_percent",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not TaskPolicy.objects.exists()


@admin.register(TaskTemplate)
class TaskTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "category", "reward_cents", "slots"]
    list_filter = ["department", "category"]
    raw_id_fields = ["created_by"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read mostly: tasks change through the app's pages so escrow and screening stay consistent."""

    list_display = ["pk", "title", "kind", "status", "category", "reward_cents", "slots", "slots_left", "deadline"]
    list_filter = ["kind", "status", "category"]
    search_fields = ["title", "address"]
    raw_id_fields = ["poster", "created_by", "template"]
    readonly_fields = ["status", "slots_left", "escrow_funded", "published_at", "closed_at", "reward_cents", "slots"]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["pk", "task", "resident", "status", "claimed_at", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["task", "resident"]
    readonly_fields = [f.name for f in Claim._meta.fields]


@admin.register(ScreeningDecision)
class ScreeningDecisionAdmin(admin.ModelAdmin):
    list_display = ["pk", "task", "outcome", "resolution", "created_at"]
    list_filter = ["outcome", "resolution"]
    readonly_fields = [f.name for f in ScreeningDecision._meta.fields]


@admin.register(ScreeningOverride)
class ScreeningOverrideAdmin(admin.ModelAdmin):
    """The audit trail: never edited or deleted."""

    list_display = ["created_at", "task", "actor", "outcome_before", "outcome_after"]
    readonly_fields = [f.name for f in ScreeningOverride._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
