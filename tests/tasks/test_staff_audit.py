"""Moderation overrides leave a staff audit row beside the tasks app's own override record."""

from __future__ import annotations

from django.urls import reverse

from people.models import StaffAction
from tasks.models import ScreeningOverride

from .test_views import _review_task


def test_a_moderation_override_writes_one_staff_audit_row(client, resident, verifier):
    decision = _review_task(resident)
    client.force_login(verifier)
    client.post(reverse("tasks:moderate", args=[decision.pk]), {"outcome": "allow", "reason": "Maksu eRahana."})
    override = ScreeningOverride.objects.get()
    row = StaffAction.objects.get()
    assert (row.action, row.actor, row.target, row.reason) == (
        "task.moderation.allow",
        verifier,
        f"task:{decision.task_id}",
        "Maksu eRahana.",
    )
    assert row.details == {"screening": decision.pk, "before": override.outcome_before}


def test_a_refused_moderation_writes_no_audit_row(client, resident, verifier):
    decision = _review_task(resident)
    client.force_login(verifier)
    client.post(reverse("tasks:moderate", args=[decision.pk]), {"outcome": "block", "reason": ""})
    assert not StaffAction.objects.exists()
