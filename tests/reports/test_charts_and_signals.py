from __future__ import annotations

import time_machine

from reports import charts, selectors
from reports.csvout import cell
from tests.factories import make_user
from tests.reports.conftest import LATER, NOW
from tests.verification import helpers
from verification import services as verification


def test_bars_scale_to_the_largest_value_and_keep_their_labels():
    chart = charts.bar_chart(title="Tasks", labels=["a", "b", "c"], values=[0, 5, 10])
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == chart.axis_y and heights[1] == chart.axis_y / 2
    assert [bar.label for bar in chart.bars] == ["a", "b", "c"]
    assert all(bar.y + bar.height == chart.axis_y for bar in chart.bars)


def test_an_all_zero_chart_draws_no_bars_and_does_not_divide_by_zero():
    chart = charts.bar_chart(title="Tasks", labels=["a"], values=[0])
    assert chart.bars[0].height == 0 and chart.max_value == 0


def test_csv_cells_use_a_decimal_comma_for_money_only():
    assert cell(1250, "eraha") == "12,50"
    assert cell(-5, "euros") == "-0,05"
    assert cell(1250, "int") == "1250"
    assert cell(None, "eraha") == ""


def test_a_resident_earning_far_above_the_median_is_listed(db, parks, publisher):
    people = [make_user(f"earner{i}@example.fi", display_name=f"Earner {i}") for i in range(3)]
    with time_machine.travel(LATER, tick=False):
        for person, reward in zip(people, [2000, 500, 500], strict=True):
            task = helpers.city_task(department=parks, creator=publisher, reward=reward, slots=1, now=NOW)
            claim = helpers.claim(task, person, now=NOW)
            proof = verification.submit_proof(
                claim=claim,
                resident=person,
                uploads=helpers.good_upload(),
                note="",
                submission_key=f"s{reward}{person.pk}",
                now=LATER,
            )
            verification.approve_proof(proof=proof, actor=None, how="auto", now=LATER)
    period = selectors.Period(start=NOW.date(), end=NOW.date())
    unusual = {table.key: table for table in selectors.integrity(period)}["unusual_earners"].rows
    assert len(unusual) == 1
    assert unusual[0][0].startswith("Earner 0") and unusual[0][1:] == [1, 2000, "4.0"]
