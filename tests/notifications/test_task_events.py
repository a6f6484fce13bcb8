"""Screening tells the poster when a task is blocked (with the reason in their language) or sent to review."""

from __future__ import annotations

from notifications.models import Notification
from tasks import services
from tests.tasks.conftest import NOW
from tests.tasks.test_publishing import peer_task, top_up


def test_a_blocked_peer_task_tells_the_poster_why_in_their_language(resident):
    resident.preferred_language = "sv"
    resident.save(update_fields=["preferred_language"])
    top_up(resident, 2000)
    task = peer_task(resident, title="Ikkunanpesu", description="Pesen ikkunasi maksua vastaan.")
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    notice = Notification.objects.get(recipient=resident, kind__startswith="task_")
    assert notice.kind == "task_blocked"
    assert notice.text.startswith("Ditt uppdrag ”Ikkunanpesu” publicerades inte: ")
    assert decision.reasons("sv")[0] in notice.text
    assert notice.link == f"/tasks/{task.pk}/"


def test_a_task_sent_to_review_and_then_blocked_by_staff_gives_two_notices(resident, city_admin):
    task = peer_task(resident, description="Maksan käteisellä.")
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    services.moderate(decision=decision, actor=city_admin, outcome="block", reason="Pimeää työtä.", now=NOW)
    kinds = list(Notification.objects.filter(recipient=resident).order_by("pk").values_list("kind", "text"))
    assert [kind for kind, _ in kinds] == ["task_in_review", "task_blocked"]
    assert kinds[1][1].endswith("Pimeää työtä.")


def test_an_allowed_task_needs_no_notice(resident):
    top_up(resident, 2000)
    task = peer_task(resident)
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    assert decision.outcome == "allow"
    assert not Notification.objects.filter(recipient=resident, kind__startswith="task_").exists()
