"""Pages of the tasks app: the list and map, task detail and claims, my tasks, posting a peer task with live
screening, publisher pages with templates, and moderation of screened tasks."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eraha.ratelimit import rate_limit
from tasks import access, exceptions, rules, selectors, services
from tasks.forms import FilterForm, ModerationForm, PlacesForm, TaskForm, TemplateForm
from tasks.models import Category, Claim, ScreeningDecision, Task, TaskTemplate


def _categories():
    """Categories for the filters, cached briefly: the list page is the hottest page of the app."""
    return cache.get_or_set(
        "tasks:filter-categories",
        lambda: list(Category.objects.filter(blocked=False).order_by("position", "name_fi")),
        timeout=60,
    )


def _list_cache_seconds() -> int:
    return getattr(settings, "TASKS_LIST_CACHE_SECONDS", 10)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# --- Residents --------------------------------------------------------------------------------------


@require_GET
def task_list(request):
    """Open tasks, newest first or nearest first (location from the browser as lat/lon parameters).

    The filters and results are the same for every visitor with the same query, so the template caches
    that fragment for TASKS_LIST_CACHE_SECONDS (default 10 s) per language and query; the page's query
    runs lazily, only when the fragment is rendered. Slot counts may lag by that much; claiming is always
    checked against the database.
    """
    now = timezone.now()
    form = FilterForm(request.GET or None, categories=SimpleLazyObject(_categories))
    filters = form.filters() if request.GET else {}
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": SimpleLazyObject(lambda: selectors.task_page(filters=filters, now=now, page=_page_number(request))),
        "query": query.urlencode(),
        "near": filters.get("lat") is not None and filters.get("lon") is not None,
        "cache_seconds": _list_cache_seconds(),
        "cache_key": request.get_full_path(),
    }
    if request.htmx:
        return render(request, "tasks/_task_results.html", context)
    return render(request, "tasks/list.html", context)


@require_GET
def task_map_data(request):
    """The tasks of the current filters as GeoJSON for the map (first 500; the list has them all)."""
    now = timezone.now()
    form = FilterForm(request.GET or None, categories=_categories())
    filters = form.filters() if request.GET else {}
    rows = (
        selectors.filtered_tasks(filters=filters, now=now)
        .exclude(latitude=None)
        .values("pk", "title", "reward_cents", "latitude", "longitude")[:500]
    )
    from wallet.money import format_eraha

    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]},
            "properties": {
                "title": row["title"],
                "reward": format_eraha(row["reward_cents"]),
                "url": f"/tasks/{row['pk']}/",
            },
        }
        for row in rows
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def task_detail(request, task_id: int):
    now = timezone.now()
    # Expiry is checked when read: a claim whose window passed gives its slot back before we show it.
    services.expire_due_claims(now=now, task_id=task_id)
    task = access.get_task_for_user(request.user, task_id)
    own_claim = None
    earnings = None
    if request.user.is_authenticated:
        own_claim = (
            task.claims.filter(resident=request.user, status__in=[*Claim.HOLDING, Claim.Status.APPROVED])
            .order_by("-claimed_at")
            .first()
        )
        earnings = services.earnings_status(resident=request.user, now=now)
    can_change = access.can_change_task(request.user, task)
    latest = task.screenings.order_by("-created_at", "-pk").first() if can_change else None
    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "own_claim": own_claim,
            "is_own": task.poster_id is not None and task.poster_id == getattr(request.user, "pk", None),
            "can_change": can_change,
            "latest_screening": latest,
            "earnings_warns": earnings is not None and earnings.warns(task.reward_cents),
            "earnings": earnings,
            "claimable": task.status == Task.Status.OPEN and task.deadline > now,
            "now": now,
        },
    )


@login_required
@require_POST
@rate_limit("claims")
def claim(request, task_id: int):
    now = timezone.now()
    task = access.get_task_for_user(request.user, task_id)
    try:
        services.claim_task(task=task, resident=request.user, now=now)
    except exceptions.TaskError as error:
        messages.error(request, error.message)
        return redirect("tasks:detail", task_id=task.pk)
    earnings = services.earnings_status(resident=request.user, now=now)
    messages.success(request, _("The task is yours. Do it before the claim expires."))
    if earnings.warns():
        messages.warning(
            request,
            _("You have used %(percent)s%% of this year's earnings cap.") % {"percent": earnings.percent},
        )
    return redirect("tasks:detail", task_id=task.pk)


@login_required
@require_POST
def give_up(request, claim_id: int):
    claim_obj = access.get_claim_for_user(request.user, claim_id)
    try:
        services.give_up_claim(claim=claim_obj, resident=request.user, now=timezone.now())
    except exceptions.TaskError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You gave up the task. The slot is free for others."))
    return redirect("tasks:mine")


@login_required
@require_GET
def my_tasks(request):
    now = timezone.now()
    services.expire_due_claims(now=now, resident=request.user)
    claims = list(selectors.claims_of(resident=request.user)[:100])
    posted = list(
        Task.objects.filter(poster=request.user).select_related("category").order_by("-created_at", "-pk")[:50]
    )
    return render(
        request,
        "tasks/mine.html",
        {
            "active_claims": [c for c in claims if c.status in Claim.HOLDING],
            "past_claims": [c for c in claims if c.status not in Claim.HOLDING],
            "posted": posted,
            "earnings": services.earnings_status(resident=request.user, now=now),
            "now": now,
        },
    )


def _submit_and_report(request, task: Task) -> None:
    """Screens and publishes a saved draft, and tells the poster what happened, in their language."""
    decision = services.submit_task(task=task, actor=request.user, now=timezone.now())
    if decision.outcome == rules.ALLOW:
        messages.success(request, _("The task is published."))
    elif decision.outcome == rules.REVIEW:
        messages.warning(request, _("The task waits for a staff member to check it. You will see the result here."))
    else:
        messages.error(request, _("The task was blocked. The reasons are shown below."))


@login_required
@require_http_methods(["GET", "POST"])
def post_peer_task(request):
    now = timezone.now()
    form = TaskForm(request.POST or None, user=request.user, now=now, city=False)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                task = services.create_task(created_by=request.user, poster=request.user, now=now, **form.values())
                _submit_and_report(request, task)
        except exceptions.TaskError as error:
            form.add_error(None, error.message)
        else:
            return redirect("tasks:detail", task_id=task.pk)
    return render(request, "tasks/task_form.html", {"form": form, "city": False})


@login_required
@require_POST
def screen_preview(request):
    """htmx: screens the form as typed and answers the feedback partial. Writes nothing."""
    now = timezone.now()
    city = request.POST.get("city") == "1"
    if city:
        access.require_publisher(request.user)
    form = TaskForm(request.POST, user=request.user, now=now, city=city)
    form.is_valid()
    data = form.cleaned_data
    decision = None
    if data.get("category") and (data.get("title") or data.get("description")):
        decision = services.preview_screening(
            category=data["category"],
            title=data.get("title", ""),
            description=data.get("description", ""),
            reward_cents=data.get("reward") or 0,
            poster=None if city else request.user,
            now=now,
        )
    reasons = decision.reasons(get_language() or "fi") if decision else []
    return render(request, "tasks/_screening.html", {"decision": decision, "reasons": reasons})


@login_required
@require_http_methods(["GET", "POST"])
def edit_task(request, task_id: int):
    now = timezone.now()
    task = access.get_task_for_user(request.user, task_id, action=access.CHANGE)
    if task.status not in {Task.Status.DRAFT, Task.Status.SCREENING, Task.Status.BLOCKED}:
        messages.error(request, _("Only tasks that are not published yet can be edited."))
        return redirect("tasks:detail", task_id=task.pk)
    form = TaskForm(
        request.POST or None, initial=TaskForm.initial_from_task(task), user=request.user, now=now, city=task.is_city
    )
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if task.is_city and form.cleaned_data["department"] != task.department:
            form.add_error("department", _("The department of a task cannot change."))
        else:
            try:
                with transaction.atomic():
                    task = services.update_task(task=task, now=now, **values)
                    _submit_and_report(request, task)
            except exceptions.TaskError as error:
                form.add_error(None, error.message)
            else:
                return redirect("tasks:detail", task_id=task.pk)
    return render(
        request,
        "tasks/task_form.html",
        {"form": form, "city": task.is_city, "task": task},
    )


@login_required
@require_POST
def cancel(request, task_id: int):
    task = access.get_task_for_user(request.user, task_id, action=access.CHANGE)
    try:
        services.cancel_task(task=task, actor=request.user, now=timezone.now())
    except exceptions.TaskError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The task is cancelled. What was left in escrow has been returned."))
    return redirect("tasks:detail", task_id=task.pk)


# --- Publishers -------------------------------------------------------------------------------------


@login_required
@require_GET
def publisher_home(request):
    access.require_publisher(request.user)
    from wallet.services import department_balance

    departments = list(request.user.departments.all())
    budgets = [(department, department_balance(department=department)) for department in departments]
    tasks = list(
        Task.objects.filter(department__in=departments)
        .select_related("category", "department")
        .order_by("-created_at", "-pk")[:50]
    )
    templates = list(TaskTemplate.objects.filter(department__in=departments).select_related("department", "category"))
    return render(request, "tasks/publisher_home.html", {"budgets": budgets, "tasks": tasks, "templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def new_city_task(request):
    access.require_publisher(request.user)
    now = timezone.now()
    form = TaskForm(request.POST or None, user=request.user, now=now, city=True)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                task = services.create_task(
                    created_by=request.user, department=form.cleaned_data["department"], now=now, **form.values()
                )
                _submit_and_report(request, task)
        except exceptions.TaskError as error:
            form.add_error(None, error.message)
        else:
            return redirect("tasks:detail", task_id=task.pk)
    return render(request, "tasks/task_form.html", {"form": form, "city": True})


@login_required
@require_http_methods(["GET", "POST"])
def template_form(request, template_id: int | None = None):
    template = access.get_template_for_user(request.user, template_id) if template_id else None
    access.require_publisher(request.user)
    form = TemplateForm(request.POST or None, instance=template, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in TemplateForm.Meta.fields}
        values["reward_cents"] = form.cleaned_data["reward"]
        template = services.save_template(actor=request.user, values=values, template=template)
        messages.success(request, _("The template is saved."))
        return redirect("tasks:template_batch", template_id=template.pk)
    return render(request, "tasks/template_form.html", {"form": form, "template": template})


@login_required
@require_http_methods(["GET", "POST"])
def template_batch(request, template_id: int):
    """Places for a template: preview (each row screened, total cost against the budget), then publish all."""
    template = access.get_template_for_user(request.user, template_id)
    now = timezone.now()
    form = PlacesForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        rows = form.cleaned_data["rows"]
        if request.POST.get("confirm") == "1":
            try:
                created = services.create_tasks_from_template(template=template, rows=rows, actor=request.user, now=now)
            except exceptions.TemplateRowsInvalid as error:
                for number, message in error.errors:
                    form.add_error(None, _("Row %(row)s: %(message)s") % {"row": number, "message": message})
            except exceptions.TaskError as error:
                form.add_error(None, error.message)
            else:
                opened = sum(1 for task in created if task.status == Task.Status.OPEN)
                messages.success(
                    request,
                    _("%(count)s tasks created: %(open)s open, %(review)s waiting for review.")
                    % {"count": len(created), "open": opened, "review": len(created) - opened},
                )
                return redirect("tasks:publisher_home")
        preview = services.preview_template(template=template, rows=rows, now=now)
    return render(
        request,
        "tasks/template_batch.html",
        {
            "template": template,
            "form": form,
            "preview": preview,
            "preview_rows": list(zip(preview.rows, preview.decisions, strict=True)) if preview else [],
        },
    )


# --- Moderation -------------------------------------------------------------------------------------


@login_required
@require_GET
def moderation_queue(request):
    access.require_moderator(request.user)
    pending = list(
        ScreeningDecision.objects.filter(resolution=ScreeningDecision.Resolution.PENDING)
        .select_related("task", "task__category", "task__department", "task__poster")
        .order_by("created_at", "pk")[:100]
    )
    latest_blocks = {}
    for decision in (
        ScreeningDecision.objects.filter(outcome=rules.BLOCK, task__status=Task.Status.BLOCKED)
        .select_related("task", "task__category")
        .order_by("-created_at", "-pk")[:60]
    ):
        latest_blocks.setdefault(decision.task_id, decision)  # a task screened twice is listed once
    blocked = list(latest_blocks.values())[:30]
    return render(request, "tasks/moderation_queue.html", {"pending": pending, "blocked": blocked})


@login_required
@require_http_methods(["GET", "POST"])
def moderation_decide(request, decision_id: int):
    decision = access.get_decision_for_moderator(request.user, decision_id)
    form = ModerationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.moderate(
                decision=decision,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except exceptions.TaskError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Decision saved."))
            return redirect("tasks:moderation")
    return render(request, "tasks/moderation_decide.html", {"decision": decision, "form": form})
