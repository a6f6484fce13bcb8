"""Ledger admin: accounts and transactions are read-only; funding a department and reversing a
transaction are admin actions that go through wallet.services (city administrators only)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from people import roles
from people.models import Department
from people.services import record_staff_action
from wallet import services
from wallet.exceptions import InvalidAmount, LedgerError
from wallet.models import Account, Entry, Transaction
from wallet.money import format_eraha, to_cents


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    """City administrators may look; nobody may add, change or delete ledger rows here."""

    def has_module_permission(self, request):
        return roles.is_city_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.is_city_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FundDepartmentForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    amount = forms.CharField(label=_("Amount (eRaha)"), max_length=20, help_text=_("For example 5000 or 1250,50"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_amount(self) -> int:
        try:
            cents = to_cents(self.cleaned_data["amount"])
        except InvalidAmount:
            raise forms.ValidationError(_("Enter an amount in eRaha with at most two decimals, e.g. 2,50.")) from None
        if cents <= 0:
            raise forms.ValidationError(_("Enter an amount greater than zero."))
        return cents


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


@admin.register(Account)
class AccountAdmin(ReadOnlyLedgerAdmin):
    list_display = ["owner_key", "kind", "balance_display", "version", "closed"]
    list_filter = ["kind", "closed"]
    search_fields = ["owner_key"]
    ordering = ["kind", "owner_key"]
    change_list_template = "admin/wallet/account/change_list.html"

    @admin.display(description=_("balance"))
    def balance_display(self, account: Account) -> str:
        return format_eraha(account.balance)

    def get_urls(self):
        custom = [
            path(
                "fund-department/",
                self.admin_site.admin_view(self.fund_department_view),
                name="wallet_account_fund_department",
            )
        ]
        return custom + super().get_urls()

    def fund_department_view(self, request):
        if not roles.is_city_admin(request.user):
            raise PermissionDenied
        if request.method == "POST":
            form = FundDepartmentForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    with db_transaction.atomic():
                        funding = services.fund_department(
                            department=data["department"],
                            amount=data["amount"],
                            actor=request.user,
                            idempotency_key=f"admin:fund:{data['idempotency_key']}",
                        )
                        record_staff_action(
                            actor=request.user,
                            action="ledger.fund_department",
                            target=f"transaction:{funding.pk}",
                            details={"department": data["department"].pk, "amount": data["amount"]},
                        )
                except LedgerError as exc:
                    form.add_error(None, str(exc.message))
                else:
                    self.message_user(
                        request,
                        _("%(department)s was funded with %(amount)s.")
                        % {"department": data["department"], "amount": format_eraha(data["amount"])},
                        messages.SUCCESS,
                    )
                    return redirect("admin:wallet_account_changelist")
        else:
            form = FundDepartmentForm(initial={"idempotency_key": uuid.uuid4().hex})
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Fund a department")}
        return TemplateResponse(request, "admin/wallet/form.html", context)


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount", "account_version", "balance_after"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return roles.is_city_admin(request.user)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyLedgerAdmin):
    list_display = ["pk", "created_at", "code", "memo", "actor", "reverses"]
    list_filter = ["code"]
    search_fields = ["idempotency_key", "memo"]
    ordering = ["-pk"]
    list_select_related = ["actor"]
    raw_id_fields = ["actor", "reverses"]
    inlines = [EntryInline]
    actions = ["reverse_selected"]

    def get_urls(self):
        custom = [
            path(
                "<int:transaction_id>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="wallet_transaction_reverse",
            )
        ]
        return custom + super().get_urls()

    @admin.action(description=_("Reverse the selected transaction"))
    def reverse_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one transaction to reverse."), messages.WARNING)
            return None
        return redirect(reverse("admin:wallet_transaction_reverse", args=[queryset.get().pk]))

    def reverse_view(self, request, transaction_id: int):
        if not roles.is_city_admin(request.user):
            raise PermissionDenied
        original = get_object_or_404(Transaction, pk=transaction_id)
        if request.method == "POST":
            form = ReverseForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    with db_transaction.atomic():
                        reversal = services.reverse_transaction(
                            transaction=original,
                            actor=request.user,
                            reason=data["reason"],
                            idempotency_key=f"admin:reverse:{data['idempotency_key']}",
                        )
                        record_staff_action(
                            actor=request.user,
                            action="ledger.reverse",
                            target=f"transaction:{original.pk}",
                            reason=data["reason"],
                            details={"reversal": reversal.pk},
                        )
                except LedgerError as exc:
                    form.add_error(None, str(exc.message))
                else:
                    self.message_user(
                        request, _("Transaction #%(pk)s was reversed.") % {"pk": original.pk}, messages.SUCCESS
                    )
                    return redirect("admin:wallet_transaction_change", reversal.pk)
        else:
            form = ReverseForm(initial={"idempotency_key": uuid.uuid4().hex})
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Reverse transaction #%(pk)s") % {"pk": original.pk},
            "original": original,
            "entries": original.entries.select_related("account"),
        }
        return TemplateResponse(request, "admin/wallet/form.html", context)
