from __future__ import annotations

from django.contrib import admin

from verification.models import Appeal, Decision, Dispute, PhotoHash, Proof, ProofPhoto, RiskPolicy


@admin.register(RiskPolicy)
class RiskPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "auto_approve_enabled",
        "min_approved_proofs",
        "audit_share_percent",
        "peer_confirm_days",
        "photo_retention_days",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RiskPolicy.objects.exists()


class PhotoInline(admin.TabularInline):
    model = ProofPhoto
    extra = 0
    can_delete = False
    readonly_fields = ["position", "role", "source_format", "width", "height", "taken_at", "latitude", "longitude"]
    exclude = ["display", "thumbnail"]


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    readonly_fields = ["decided_by", "how", "outcome", "reason_code", "message", "seconds", "created_at", "is_appeal"]
    exclude = ["opened_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proof)
class ProofAdmin(admin.ModelAdmin):
    list_display = ["pk", "task", "resident", "status", "audit_sample", "submitted_at", "decided_at"]
    list_filter = ["status", "audit_sample", "is_peer", "department"]
    search_fields = ["resident__email", "task__title"]
    readonly_fields = [f.name for f in Proof._meta.fields]
    inlines = [PhotoInline, DecisionInline]

    def has_add_permission(self, request):
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["proof", "outcome", "how", "decided_by", "reason_code", "seconds", "created_at"]
    list_filter = ["outcome", "how", "reason_code"]
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["proof", "resident", "status", "created_at", "decided_at"]
    list_filter = ["status"]


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["proof", "opened_by", "status", "created_at", "decided_at"]
    list_filter = ["status"]


@admin.register(PhotoHash)
class PhotoHashAdmin(admin.ModelAdmin):
    list_display = ["proof", "resident", "created_at"]
    readonly_fields = [f.name for f in PhotoHash._meta.fields]
