"""Publishing funds the escrow, cancelling and closing refund it, moderation and template batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from tasks import exceptions, services
from tasks.models import Category, Claim, ScreeningDecision, ScreeningOverride, Task, TaskTemplate
from wallet import services as wallet

from .conftest import NOW

pytestmark = pytest.mark.django_db


def fund(department, amount):
    wallet.fund_department(department=department, amount=amount, actor=None, idempotency_key=f"test:{department.pk}")


def top_up(resident, amount):
    wallet.credit_card_top_up(resident=resident, amount=amount, idempotency_key=f"test:{resident.pk}:{amount}")


def values(**overrides):
    base = {
        "category": Category.objects.get(slug="litter"),
        "title": "Roskien keräys Vuoksen rannalla",
        "description": "Kerää roskat rantapolulta. Siivousvälineet lainataan kaupungilta.",
        "address": "Vuoksenrannan puisto",
        "latitude": "61.191000",
        "longitude": "28.776000",
        "reward_cents": 800,
        "slots": 3,
        "claim_window_hours": 24,
        "deadline": NOW + timedelta(days=7),
        "photo_count": 2,
        "before_after": True,
        "taken_after_claim": True,
        "max_distance_m": 300,
    }
    base.update(overrides)
    return base


def city_task(department, publisher, **overrides):
    return services.create_task(created_by=publisher, department=department, now=NOW, **values(**overrides))


def peer_task(poster, **overrides):
    overrides.setdefault("category", Category.objects.get(slug="neighbour-help"))
    overrides.setdefault("title", "Kauppakassien kantaminen")
    overrides.setdefault("description", "Kannan kauppakassit kolmanteen kerrokseen huomenna.")
    overrides.setdefault("slots", 1)
    return services.create_task(created_by=poster, poster=poster, now=NOW, **values(**overrides))


def test_publishing_a_city_task_moves_reward_times_slots_into_escrow(parks, publisher):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    decision = services.submit_task(task=task, actor=publisher, now=NOW)
    assert decision.outcome == "allow"
    assert decision.inputs["category"] == "litter"
    assert task.status == Task.Status.OPEN
    assert task.escrow_funded and task.published_at == NOW
    assert wallet.escrow_balance(task_key=task.task_key) == 2400
    assert wallet.department_balance(department=parks) == 7600


def test_a_short_budget_refuses_publishing_and_writes_nothing(parks, publisher):
    fund(parks, 1000)
    task = city_task(parks, publisher)
    with pytest.raises(exceptions.FundsShort):
        services.submit_task(task=task, actor=publisher, now=NOW)
    task.refresh_from_db()
    assert task.status == Task.Status.DRAFT
    assert not ScreeningDecision.objects.exists()
    assert wallet.department_balance(department=parks) == 1000


def test_a_peer_task_is_funded_from_the_posters_wallet(resident):
    top_up(resident, 2000)
    task = peer_task(resident)
    services.submit_task(task=task, actor=resident, now=NOW)
    assert task.status == Task.Status.OPEN
    assert wallet.wallet_balance(user=resident) == 1200


def test_a_window_cleaning_peer_task_is_blocked_with_a_reason_and_nothing_is_funded(resident):
    top_up(resident, 2000)
    task = peer_task(resident, title="Ikkunanpesu", description="Pesen ikkunasi maksua vastaan.")
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    assert task.status == Task.Status.BLOCKED
    assert decision.outcome == "block"
    assert decision.fired_rules[0]["code"] == "cleaning-home-fi"
    assert "ikkunanpesu" in decision.reasons("fi")[0]
    assert wallet.wallet_balance(user=resident) == 2000


def test_a_review_waits_for_staff_and_approval_funds_the_task(resident, city_admin):
    top_up(resident, 2000)
    task = peer_task(resident, description="Kannan kassit, maksan käteisellä lisäksi.")
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    assert (decision.outcome, task.status) == ("review", Task.Status.SCREENING)
    assert wallet.wallet_balance(user=resident) == 2000
    services.moderate(decision=decision, actor=city_admin, outcome="allow", reason="Maksu vain eRahana.", now=NOW)
    task.refresh_from_db()
    decision.refresh_from_db()
    assert task.status == Task.Status.OPEN
    assert decision.resolution == ScreeningDecision.Resolution.APPROVED
    assert wallet.wallet_balance(user=resident) == 1200
    override = ScreeningOverride.objects.get()
    assert (override.actor, override.outcome_before, override.outcome_after) == (city_admin, "review", "allow")


def test_an_override_needs_a_written_reason(resident, city_admin):
    top_up(resident, 2000)
    task = peer_task(resident, description="Maksan käteisellä.")
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    with pytest.raises(exceptions.TaskError):
        services.moderate(decision=decision, actor=city_admin, outcome="allow", reason="  ", now=NOW)
    task.refresh_from_db()
    assert task.status == Task.Status.SCREENING
    assert not ScreeningOverride.objects.exists()


def test_staff_can_block_a_task_in_review(resident, city_admin):
    task = peer_task(resident, description="Maksan käteisellä.")
    decision = services.submit_task(task=task, actor=resident, now=NOW)
    services.moderate(decision=decision, actor=city_admin, outcome="block", reason="Pimeää työtä.", now=NOW)
    task.refresh_from_db()
    assert task.status == Task.Status.BLOCKED


def test_cancelling_returns_the_escrow_and_ends_active_claims(parks, publisher, resident):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    claim = services.claim_task(task=task, resident=resident, now=NOW)
    services.cancel_task(task=task, actor=publisher, now=NOW)
    task.refresh_from_db()
    claim.refresh_from_db()
    assert task.status == Task.Status.CANCELLED
    assert claim.status == Claim.Status.CANCELLED
    assert wallet.escrow_balance(task_key=task.task_key) == 0
    assert wallet.department_balance(department=parks) == 10_000


def test_cancelling_waits_while_a_proof_is_pending(parks, publisher, resident):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    claim = services.claim_task(task=task, resident=resident, now=NOW)
    services.mark_claim_submitted(claim=claim, now=NOW)
    with pytest.raises(exceptions.InvalidTaskState):
        services.cancel_task(task=task, actor=publisher, now=NOW)
    assert wallet.escrow_balance(task_key=task.task_key) == 2400


def test_the_sweep_closes_past_deadline_tasks_and_refunds_what_was_not_paid(parks, publisher, resident):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    claim = services.claim_task(task=task, resident=resident, now=NOW)
    services.mark_claim_submitted(claim=claim, now=NOW + timedelta(hours=1))
    wallet.pay_task_reward(task_key=task.task_key, resident=resident, amount=800, idempotency_key="test:pay")
    services.complete_claim(claim=claim, now=NOW + timedelta(hours=2))
    after_deadline = task.deadline + timedelta(minutes=1)
    assert services.sweep(now=after_deadline) == 1
    assert services.sweep(now=after_deadline) == 0
    task.refresh_from_db()
    assert task.status == Task.Status.CLOSED
    assert wallet.department_balance(department=parks) == 10_000 - 800
    assert wallet.wallet_balance(user=resident) == 800


def test_a_published_task_cannot_be_edited(parks, publisher):
    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    with pytest.raises(exceptions.InvalidTaskState):
        services.update_task(task=task, now=NOW, title="Uusi otsikko")


@pytest.mark.parametrize(
    ("override", "message_part"),
    [
        ({"deadline": NOW - timedelta(hours=1)}, "deadline"),
        ({"slots": 0}, "slot"),
        ({"reward_cents": 99_999}, "ceiling"),
        ({"reward_cents": 0}, "reward"),
    ],
)
def test_bad_task_values_are_refused_and_nothing_is_written(parks, publisher, override, message_part):
    with translation.override("en"), pytest.raises(exceptions.InvalidTaskState) as error:
        city_task(parks, publisher, **override)
    assert message_part in str(error.value.message).lower()
    assert not Task.objects.exists()


def make_template(parks, publisher, **fields):
    base = {
        "department": parks,
        "category": Category.objects.get(slug="litter"),
        "name": "Roskien keräys puistossa",
        "title": "Roskien keräys: {place}",
        "description": "Kerää roskat puistosta ja vie pussit roska-astiaan.",
        "reward_cents": 500,
        "slots": 1,
        "created_by": publisher,
        "photo_count": 2,
        "before_after": True,
        "max_distance_m": 300,
    }
    base.update(fields)
    return TaskTemplate.objects.create(**base)


def csv_rows(count):
    lines = ["name,address,latitude,longitude"]
    lines += [f"Puisto {i},Puistotie {i},61.{190000 + i},28.{770000 + i}" for i in range(1, count + 1)]
    return "\n".join(lines)


def test_a_publisher_creates_twenty_tasks_from_a_template_in_one_go(parks, publisher):
    fund(parks, 20_000)
    template = make_template(parks, publisher)
    rows = services.parse_place_rows(csv_rows(20))
    preview = services.preview_template(template=template, rows=rows, now=NOW)
    assert (preview.total_cost_cents, preview.budget_cents, preview.fits_budget) == (10_000, 20_000, True)
    tasks = services.create_tasks_from_template(template=template, rows=rows, actor=publisher, now=NOW)
    assert len(tasks) == 20
    assert {task.status for task in tasks} == {Task.Status.OPEN}
    assert tasks[0].title == "Roskien keräys: Puisto 1"
    assert wallet.department_balance(department=parks) == 10_000


def test_a_csv_with_bad_rows_reports_their_numbers_and_publishes_nothing(parks, publisher):
    text = "name,address,latitude,longitude\nPuisto,Tie 1,61.19,28.77\nHuono,Tie 2,91,28\nKesken,Tie 3\n,Tie,1,1\n"
    with pytest.raises(exceptions.TemplateRowsInvalid) as error:
        services.parse_place_rows(text)
    assert [number for number, _ in error.value.errors] == [3, 4, 5]
    assert not Task.objects.exists()


def test_a_template_batch_larger_than_the_budget_publishes_nothing(parks, publisher):
    fund(parks, 1000)
    template = make_template(parks, publisher)
    rows = services.parse_place_rows(csv_rows(3))
    with pytest.raises(exceptions.FundsShort):
        services.create_tasks_from_template(template=template, rows=rows, actor=publisher, now=NOW)
    assert not Task.objects.exists()
    assert wallet.department_balance(department=parks) == 1000


def test_a_template_whose_rows_the_rules_block_publishes_nothing(parks, publisher):
    fund(parks, 10_000)
    template = make_template(parks, publisher, description="Kotisiivous puiston laidalla.")
    rows = services.parse_place_rows(csv_rows(2))
    with pytest.raises(exceptions.TemplateRowsInvalid) as error:
        services.create_tasks_from_template(template=template, rows=rows, actor=publisher, now=NOW)
    assert [number for number, _ in error.value.errors] == [2, 3]
    assert not Task.objects.exists()


def test_run_sweeps_runs_the_tasks_sweep(parks, publisher, resident):
    from io import StringIO

    import time_machine
    from django.core.management import call_command

    fund(parks, 10_000)
    task = city_task(parks, publisher)
    services.submit_task(task=task, actor=publisher, now=NOW)
    out = StringIO()
    with time_machine.travel(task.deadline + timedelta(hours=1), tick=False):
        call_command("run_sweeps", stdout=out)
    task.refresh_from_db()
    assert task.status == Task.Status.CLOSED
    assert "tasks.services.sweep: 1" in out.getvalue()
    assert wallet.department_balance(department=parks) == 10_000


def test_the_sweep_closes_a_task_still_waiting_for_review_without_money(resident):
    task = peer_task(resident, description="Maksan käteisellä.")
    services.submit_task(task=task, actor=resident, now=NOW)
    assert services.sweep(now=task.deadline + timedelta(minutes=1)) == 1
    task.refresh_from_db()
    assert task.status == Task.Status.CLOSED
    assert not ScreeningDecision.objects.filter(resolution=ScreeningDecision.Resolution.PENDING).exists()


def test_a_claim_reopened_for_changes_keeps_the_task_open_past_its_deadline(parks, publisher, resident):
    fund(parks, 10_000)
    task = city_task(parks, publisher, deadline=NOW + timedelta(hours=5))
    services.submit_task(task=task, actor=publisher, now=NOW)
    claim = services.claim_task(task=task, resident=resident, now=NOW)
    services.mark_claim_submitted(claim=claim, now=NOW + timedelta(hours=4))
    services.reopen_claim_for_changes(claim=claim, now=NOW + timedelta(hours=4, minutes=30))
    assert services.sweep(now=NOW + timedelta(hours=6)) == 0
    task.refresh_from_db()
    claim.refresh_from_db()
    assert (task.status, claim.status) == (Task.Status.OPEN, Claim.Status.ACTIVE)
    after_claim = claim.expires_at + timedelta(minutes=1)
    assert services.sweep(now=after_claim) == 2  # the claim expires, then the task closes
    task.refresh_from_db()
    assert task.status == Task.Status.CLOSED
    assert wallet.department_balance(department=parks) == 10_000
