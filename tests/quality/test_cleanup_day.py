"""The clean-up day load test in a short form: the same scenario code as bench/cleanup_day.py, in-process.

30 residents sign in through the login form, claim slots on 5 tasks (one of them has two slots too few), upload a
generated photo and open their wallet; the verifiers sign in with the TOTP step and decide the queued proofs;
the partner API redeems 20 vouchers. Everything goes through Django's test client, one request after another.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from tasks.models import Claim, Task
from verification.models import Decision, Proof
from vouchers.models import Voucher

BENCH = Path(__file__).resolve().parents[2] / "bench" / "cleanup_day.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("cleanup_day_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


class ClientSession:
    """The bench's session interface over Django's test client (which keeps the cookies)."""

    def __init__(self, address: str):
        self.address = address
        self.client = Client()

    def request(self, method, path, *, fields=None, files=None, headers=None, body=None):
        sent = {"X-Forwarded-For": self.address, "Accept-Language": "fi", **(headers or {})}
        if method == "GET":
            response = self.client.get(path, headers=sent)
        elif body is not None:
            response = self.client.post(path, data=body, content_type="application/json", headers=sent)
        else:
            data = dict(fields or {})
            for name, (filename, content, content_type) in (files or {}).items():
                data[name] = SimpleUploadedFile(filename, content, content_type=content_type)
            response = self.client.post(path, data=data, headers=sent)
        return bench.Response(response.status_code, response.get("Location", ""), response.content.decode())


@pytest.fixture
def clean_up_day(db, settings):
    # Behind the proxy each resident has an address of their own, as in the bench.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    plan = bench.Plan(residents=30, tasks=5, short_tasks=1, vouchers=20)
    seeded = bench.seed(plan)
    return plan, seeded


def test_a_small_clean_up_day_runs_without_errors_and_refuses_exactly_the_claims_on_full_tasks(clean_up_day):
    plan, seeded = clean_up_day
    stats = bench.run_day(
        plan=plan,
        seeded=seeded,
        make_session=lambda index: ClientSession(bench.client_address(index)),
        seconds=0,
        threads=1,
        photo_size=(480, 360),
        concurrent=False,
    )
    outcome = bench.check_outcome(plan=plan, stats=stats)

    assert stats.samples == []
    assert stats.error_count == 0
    assert outcome["problems"] == []
    assert plan.expected_refused() == 2
    assert stats.refused == 2
    assert stats.claimed == 28
    popular = Task.objects.get(pk=seeded["tasks"][0][0])
    assert popular.slots_left == 0
    assert Claim.objects.filter(task=popular).count() == popular.slots == 4
    # Every proof decided: the clean ones mostly automatically, the far-away ones rejected by a verifier.
    assert Proof.objects.count() == 28
    assert not Proof.objects.exclude(status__in=["approved", "rejected"]).exists()
    assert Decision.objects.filter(how=Decision.How.AUTO).count() == outcome["auto"] > 0
    suspicious = [i for i in range(plan.residents) if plan.suspicious(i)]
    assert Proof.objects.filter(status="rejected").count() == len(suspicious) == 3
    assert stats.decided_by_verifiers == outcome["human"] >= 3
    assert Voucher.objects.filter(status=Voucher.Status.REDEEMED).count() == 20
    out = io.StringIO()
    call_command("ledger_audit", stdout=out)
    assert "every invariant holds" in out.getvalue()


def test_the_expected_refusals_follow_from_the_plan():
    plan = bench.Plan(residents=2000)
    assert [plan.demand(t) for t in (0, 49)] == [40, 40]
    assert plan.slots(0) == 38 and plan.slots(49) == 41
    assert plan.expected_refused() == 10


def test_the_totp_code_matches_rfc_6238():
    # RFC 6238 appendix B, SHA-1 secret "12345678901234567890" at 59 s: 94287082 (last six digits).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert bench.totp_code(secret, at=59) == "287082"
