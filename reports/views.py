from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from reports import charts, selectors, services
from reports.access import dashboard_scope, visible_departments
from reports.csvout import table_csv_response
from reports.exceptions import DeletionRefused
from reports.forms import DashboardFilterForm


def _filtered(request):
    """The access decision first (403/404), then the filter form; returns (scope, form, period or None)."""
    form = DashboardFilterForm(request.GET, departments=visible_departments(request.user), today=timezone.localdate())
    valid = form.is_valid()
    scope = dashboard_scope(request.user, department_slug=(request.GET.get("department") or None))
    period = form.cleaned_data.get("period") if valid else None
    return scope, form, period


def _charts(activity) -> list:
    out = []
    labels = [row[0] for row in activity.rows]
    for index, (label, _kind) in enumerate(activity.columns[1:3], start=1):
        values = [row[index] for row in activity.rows]
        out.append(
            charts.bar_chart(
                title=str(label),
                labels=labels,
                values=values,
                summary=_("%(total)s in total, at most %(max)s in one period.")
                % {"total": sum(values), "max": max(values, default=0)},
            )
        )
    return out


@login_required
def dashboard(request):
    scope, form, period = _filtered(request)
    context = {"form": form, "scope": scope, "period": period}
    status = 200
    if period is None:
        status = 400
    else:
        report = selectors.dashboard(scope, period, now=timezone.now())
        context.update(report)
        context["charts"] = _charts(report["tables"]["activity"])
        context["query"] = request.GET.urlencode()
    return render(request, "reports/dashboard.html", context, status=status)


@login_required
def dashboard_csv(request, key: str):
    scope, form, period = _filtered(request)
    if period is None:
        return HttpResponse(" ".join(str(e) for e in form.non_field_errors() or form.errors), status=400)
    report = selectors.dashboard(scope, period, now=timezone.now())
    table = report["tables"].get(key)
    if table is None:
        raise Http404
    return table_csv_response(table, filename=f"eraha-{key}-{period.start}-{period.end}.csv")


@login_required
def my_data(request):
    data = services.export_user_data(user=request.user)
    return render(request, "reports/my_data.html", {"data": data})


@login_required
def my_data_json(request):
    data = services.export_user_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="eraha-my-data.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    reasons = services.deletion_blockers(user=request.user, now=timezone.now())
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.delete_account(user=request.user, now=timezone.now())
        except DeletionRefused as refused:
            reasons = refused.reasons
        else:
            logout(request)
            messages.success(request, _("Your account was deleted."))
            return redirect("home")
    elif request.method == "POST":
        messages.error(request, _("Tick the box to confirm that you want to delete your account."))
    status = 409 if request.method == "POST" and reasons else 200
    return render(request, "reports/delete_account.html", {"reasons": reasons}, status=status)


def accessibility(request):
    return render(request, "reports/accessibility.html")


def privacy(request):
    return render(request, "reports/privacy.html")
