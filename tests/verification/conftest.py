from __future__ import annotations

import pytest

from tests.verification import helpers
from verification.models import RiskPolicy


@pytest.fixture
def trusting_policy(db):
    """Auto-approval for everyone without an audit sample, so a clean proof is approved at once."""
    return RiskPolicy.objects.create(min_approved_proofs=0, audit_share_percent=0)


@pytest.fixture
def task(db, parks, publisher):
    return helpers.city_task(department=parks, creator=publisher)


@pytest.fixture
def claim(task, resident):
    return helpers.claim(task, resident)
