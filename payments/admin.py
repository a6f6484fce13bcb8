from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from payments.models import StripeEvent, TopUp
from wallet.admin import ReadOnlyLedgerAdmin

# Top-ups and events change only through Stripe's webhooks: city administrators look, nobody edits.


class StripeEventInline(admin.TabularInline):
    model = StripeEvent
    fields = ["event_id", "type", "outcome", "received_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyLedgerAdmin):
    list_display = ["pk", "resident", "eur_cents", "eraha_cents", "status", "created_at", "paid_at", "note"]
    list_filter = ["status"]
    search_fields = ["resident__email", "session_id", "payment_intent_id"]
    date_hierarchy = "created_at"
    list_select_related = ["resident"]
    readonly_fields = [
        "resident",
        "eur_cents",
        "eraha_cents",
        "currency",
        "status",
        "note",
        "session_id",
        "payment_intent_id",
        "paid_eur_cents",
        "credit_transaction",
        "refunded_eur_cents",
        "disputed_eur_cents",
        "reversed_eraha_cents",
        "expires_at",
        "created_at",
        "updated_at",
        "paid_at",
        "reconciliation_link",
    ]
    fields = readonly_fields
    inlines = [StripeEventInline]

    @admin.display(description=_("Reconciliation"))
    def reconciliation_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("payments:reconciliation"), _("Open the report"))


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyLedgerAdmin):
    list_display = ["event_id", "type", "outcome", "top_up", "received_at", "processed_at"]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id", "top_up__session_id"]
    date_hierarchy = "received_at"
    readonly_fields = ["event_id", "type", "outcome", "top_up", "received_at", "processed_at", "payload"]
    fields = readonly_fields
