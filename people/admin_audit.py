"""Configuration changes made in the admin land in the staff audit log too.

Every ModelAdmin logs additions, changes and deletions through log_addition/log_change/log_deletions, inside
the atomic block of the admin view; the wrappers add one StaffAction row beside Django's LogEntry, so the city
administrator reads every staff action (decisions, overrides, reversals, configuration) in one list.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.admin import ModelAdmin

from people.services import record_staff_action


def _target(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _wrap_single(method, verb: str):
    @wraps(method)
    def wrapper(self, request, obj, message):
        result = method(self, request, obj, message)
        if self.model._meta.label_lower != "people.staffaction":
            record_staff_action(
                actor=request.user,
                action=f"admin.{verb}",
                target=_target(obj),
                details={"object": str(obj)[:200], "change": message if isinstance(message, list) else str(message)},
            )
        return result

    wrapper.audited = True
    return wrapper


def _wrap_deletions(method):
    @wraps(method)
    def wrapper(self, request, queryset):
        for obj in queryset:
            record_staff_action(
                actor=request.user, action="admin.delete", target=_target(obj), details={"object": str(obj)[:200]}
            )
        return method(self, request, queryset)

    wrapper.audited = True
    return wrapper


def install() -> None:
    """Wraps ModelAdmin's logging methods once (called from PeopleConfig.ready)."""
    if getattr(ModelAdmin.log_change, "audited", False):
        return
    ModelAdmin.log_addition = _wrap_single(ModelAdmin.log_addition, "add")
    ModelAdmin.log_change = _wrap_single(ModelAdmin.log_change, "change")
    ModelAdmin.log_deletions = _wrap_deletions(ModelAdmin.log_deletions)
