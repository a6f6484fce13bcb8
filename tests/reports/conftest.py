"""A small city with known figures for the report tests, made through the real services at a frozen time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from people import roles
from tests.factories import make_user
from tests.verification import helpers
from verification import services as verification
from wallet import services as wallet

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=3)
RANGE = {"start": "2026-05-15", "end": "2026-06-10"}


@dataclass
class City:
    parks_task: object
    youth_task: object
    youth_publisher: object
    proof: object


@pytest.fixture
def city(db, parks, youth, publisher, verifier, resident, neighbour):
    """Parks: one task (3 × 5,00) with one slot paid after a 40-second human decision. Youth: one task
    (1 × 7,00) by another publisher. Resident and neighbour top up 10,00 each and pay each other twice each
    way (2 × 1,00 and 2 × 0,50)."""
    with time_machine.travel(LATER, tick=False):
        parks_task = helpers.city_task(department=parks, creator=publisher, reward=500, slots=3, now=NOW)
        youth_publisher = make_user("nuoriso@example.fi", role=roles.PUBLISHER, departments=[youth])
        youth_task = helpers.city_task(
            department=youth, creator=youth_publisher, reward=700, slots=1, now=NOW, title="Youth secret task"
        )
        claim = helpers.claim(parks_task, resident, now=NOW)
        proof = verification.submit_proof(
            claim=claim, resident=resident, uploads=helpers.good_upload(), note="Done", submission_key="k1", now=LATER
        )
        verification.open_proof(proof=proof, verifier=verifier, now=LATER)
        verification.approve_proof(proof=proof, actor=verifier, how="human", now=LATER + dt.timedelta(seconds=40))
        for person in (resident, neighbour):
            wallet.credit_card_top_up(resident=person, amount=1000, idempotency_key=f"top:{person.pk}")
        for index in range(2):
            wallet.pay_neighbour(
                sender=resident, recipient=neighbour, amount=100, memo="", idempotency_key=f"a{index}", now=LATER
            )
            wallet.pay_neighbour(
                sender=neighbour, recipient=resident, amount=50, memo="", idempotency_key=f"b{index}", now=LATER
            )
    proof.refresh_from_db()
    return City(parks_task=parks_task, youth_task=youth_task, youth_publisher=youth_publisher, proof=proof)
