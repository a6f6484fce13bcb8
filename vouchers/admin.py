from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vouchers import services
from vouchers.models import Partner, PartnerToken, Product, Voucher


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0
    fields = ["name_fi", "price", "face_value", "validity_days", "monthly_limit", "total_stock", "active"]
    show_change_link = True


class TokenInline(admin.TabularInline):
    model = PartnerToken
    extra = 0
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # tokens are made in "Partner API tokens", where the new token is shown once


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "contact_name", "contact_email", "expiry_policy"]
    search_fields = ["name", "slug", "contact_name", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["cashiers"]
    inlines = [ProductInline, TokenInline]


@admin.register(PartnerToken)
class PartnerTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "partner__name"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["partner", "name"]
        return ["partner", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["partner", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, raw = services.create_partner_token(partner=obj.partner, name=obj.name, actor=request.user)
        obj.pk = token.pk
        obj.token_hash = token.token_hash
        obj.prefix = token.prefix
        obj._state.adding = False
        messages.warning(
            request,
            _("New token for %(name)s: %(token)s — copy it now, it is not shown again.")
            % {"name": token.name, "token": raw},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: redeemed vouchers keep pointing at the token that redeemed them

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        now = timezone.now()
        count = sum(services.revoke_partner_token(token=token, now=now, actor=request.user) for token in queryset)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "name_fi",
        "partner",
        "price",
        "face_value",
        "validity_days",
        "monthly_limit",
        "total_stock",
        "active",
    ]
    list_filter = ["partner", "active"]
    search_fields = ["name_fi", "name_sv", "name_en"]


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    """Read-only: vouchers change only through the purchase, redemption and expiry services."""

    list_display = ["code", "product", "resident", "status", "purchased_at", "expires_at", "redeemed_at"]
    list_filter = ["status", "partner"]
    search_fields = ["code", "resident__email"]
    list_select_related = ["product", "resident"]
    date_hierarchy = "purchased_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
