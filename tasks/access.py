"""Who may see and change what in the tasks app. Every view goes through these helpers.

- Open and full tasks are public. Other tasks (draft, waiting for review, blocked, ended) are seen by their
  poster (peer tasks), by publishers of their department (city tasks), by moderators and by residents who
  claimed them; everyone else gets 404, so a hidden task does not reveal that it exists.
- A peer task is changed by its poster; a city task by a publisher (people.publish_tasks) who belongs to
  its department. Someone who may see a task but not change it gets 403.
- Moderation of screened tasks is for city staff with people.verify_proofs or people.administer_city:
  verifiers already judge residents' work every day, and administrators own the rule set. Nobody moderates
  a task they created (four eyes).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from people import roles
from tasks.models import Claim, ScreeningDecision, Task, TaskTemplate

VIEW = "view"
CHANGE = "change"


def can_moderate(user) -> bool:
    return roles.is_verifier(user) or roles.is_city_admin(user)


def publisher_department_ids(user) -> set[int]:
    if not roles.is_publisher(user):
        return set()
    return set(user.departments.values_list("pk", flat=True))


def can_change_task(user, task: Task) -> bool:
    if not user.is_authenticated:
        return False
    if task.is_peer:
        return task.poster_id == user.pk
    return task.department_id in publisher_department_ids(user)


def can_view_task(user, task: Task) -> bool:
    if task.is_visible_publicly():
        return True
    if not user.is_authenticated:
        return False
    if can_change_task(user, task) or can_moderate(user):
        return True
    return task.claims.filter(resident=user).exists()


def get_task_for_user(user, task_id: int, *, action: str = VIEW) -> Task:
    """The task if the user may do `action` on it; 404 if they may not see it, 403 if they may only see it."""
    try:
        task = Task.objects.select_related("category", "department", "poster").get(pk=task_id)
    except Task.DoesNotExist:
        raise Http404 from None
    if not can_view_task(user, task):
        raise Http404
    if action == CHANGE and not can_change_task(user, task):
        raise PermissionDenied
    return task


def get_claim_for_user(user, claim_id: int) -> Claim:
    """The user's own claim; anyone else's is 404."""
    try:
        return Claim.objects.select_related("task", "task__category").get(pk=claim_id, resident=user)
    except Claim.DoesNotExist:
        raise Http404 from None


def require_publisher(user) -> None:
    if not roles.is_publisher(user):
        raise PermissionDenied


def get_template_for_user(user, template_id: int) -> TaskTemplate:
    """A template of one of the publisher's departments; 403 without the role, 404 for other departments."""
    require_publisher(user)
    try:
        return TaskTemplate.objects.select_related("department", "category").get(
            pk=template_id, department_id__in=publisher_department_ids(user)
        )
    except TaskTemplate.DoesNotExist:
        raise Http404 from None


def require_moderator(user) -> None:
    if not can_moderate(user):
        raise PermissionDenied


def get_decision_for_moderator(user, decision_id: int) -> ScreeningDecision:
    require_moderator(user)
    try:
        decision = ScreeningDecision.objects.select_related(
            "task", "task__category", "task__department", "task__poster"
        ).get(pk=decision_id)
    except ScreeningDecision.DoesNotExist:
        raise Http404 from None
    if decision.task.created_by_id == user.pk:
        raise PermissionDenied
    return decision
