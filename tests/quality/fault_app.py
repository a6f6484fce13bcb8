"""Seeds and checks the database of the fault test, run as a separate process against a throwaway cluster.

`python -m tests.quality.fault_app seed <count>` prints JSON: the verifier's and a resident's session keys and
the ids of <count> queued proofs. `python -m tests.quality.fault_app check` prints JSON: every proof whose
status, claim, decision and reward payment do not agree (a half-paid proof), the counts, and the ledger
audit's violations. DATABASE_URL (and REDIS_URL, if any) come from the environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

REWARD = 300


def _session_for(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def seed(count: int) -> dict:
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from people import roles
    from people.models import User
    from people.services import assign_role, ensure_totp, upsert_department
    from tasks.models import Category, Claim, Task
    from verification.models import Proof
    from wallet import services as wallet

    now = timezone.now()
    parks = upsert_department(slug="parks", name_fi="Puistot", name_sv="Parker", name_en="Parks")
    verifier = User.objects.create_user(email="tarkastaja@example.fi", password=None, handle="tarkastaja")
    EmailAddress.objects.create(user=verifier, email=verifier.email, verified=True, primary=True)
    assign_role(user=verifier, role=roles.VERIFIER)
    ensure_totp(user=verifier)
    verifier.departments.add(parks)
    category, _ = Category.objects.get_or_create(
        slug="litter", defaults={"name_fi": "Roskat", "name_sv": "Skräp", "name_en": "Litter"}
    )
    task = Task.objects.create(
        kind="city",
        department=parks,
        created_by=verifier,
        category=category,
        title="Roskien keräys",
        description="Kerää roskat.",
        reward_cents=REWARD,
        slots=count,
        slots_left=0,
        deadline=now + dt.timedelta(days=5),
        status="full",
        escrow_funded=True,
        published_at=now,
    )
    wallet.fund_department(department=parks, amount=REWARD * count, actor=None, idempotency_key="fault:fund")
    wallet.fund_task_escrow(
        task_key=task.task_key, amount=REWARD * count, department=parks, idempotency_key="fault:escrow"
    )
    residents = []
    for number in range(count):
        resident = User.objects.create_user(email=f"asukas{number}@example.fi", password=None, handle=f"a-{number}")
        EmailAddress.objects.create(user=resident, email=resident.email, verified=True, primary=True)
        residents.append(resident)
    started = now - dt.timedelta(hours=2)
    claims = Claim.objects.bulk_create(
        [
            Claim(
                task=task,
                resident=resident,
                status="submitted",
                reward_cents=REWARD,
                claimed_at=started,
                expires_at=started + dt.timedelta(days=1),
                submitted_at=started + dt.timedelta(seconds=number),
            )
            for number, resident in enumerate(residents)
        ]
    )
    proofs = Proof.objects.bulk_create(
        [
            Proof(
                claim=claim,
                task=task,
                resident=claim.resident,
                department=parks,
                status="queued",
                flags=[],
                queue_reasons=["new_resident"],
                submission_key=f"fault{number}",
                submitted_at=claim.submitted_at,
            )
            for number, claim in enumerate(claims)
        ]
    )
    return {
        "verifier_session": _session_for(verifier),
        "resident_session": _session_for(residents[0]),
        "proofs": [proof.pk for proof in proofs],
    }


def check() -> dict:
    """Finds half-paid proofs: every proof must be either untouched or approved, paid once and completed."""
    from tasks.models import Claim
    from verification.models import Decision, Proof
    from wallet.audit import run_audit
    from wallet.models import Transaction

    half_paid = []
    for proof in Proof.objects.select_related("claim").order_by("pk"):
        decisions = Decision.objects.filter(proof=proof).count()
        payments = Transaction.objects.filter(idempotency_key=f"proof:{proof.pk}:reward").count()
        approved = proof.status == "approved"
        whole = (
            (approved, proof.reward_transaction_id is not None, decisions, payments, proof.claim.status)
            == (True, True, 1, 1, Claim.Status.APPROVED)
        ) or (
            (approved, proof.reward_transaction_id, decisions, payments, proof.claim.status)
            == (False, None, 0, 0, Claim.Status.SUBMITTED)
        )
        if not whole:
            half_paid.append(
                {
                    "proof": proof.pk,
                    "status": proof.status,
                    "decisions": decisions,
                    "payments": payments,
                    "claim": proof.claim.status,
                }
            )
    return {
        "half_paid": half_paid,
        "approved": Proof.objects.filter(status="approved").count(),
        "paid": Transaction.objects.filter(idempotency_key__endswith=":reward").count(),
        "violations": [str(v) for v in run_audit()],
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eraha.settings")
    import django

    django.setup()
    command = sys.argv[1]
    result = seed(int(sys.argv[2])) if command == "seed" else check()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
