"""A Hypothesis state machine: a model of balances against the database, with replays, and the ledger
audit as its invariant after every step."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.factories import make_user
from wallet import services
from wallet.audit import run_audit
from wallet.exceptions import EscrowAlreadyResolved, IdempotencyConflict, InsufficientFunds, LimitExceeded

AMOUNTS = st.integers(min_value=1, max_value=3_00)


class LedgerMachine(RuleBasedStateMachine):
    users: list = []
    admin = None

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.wallets = {u.pk: 0 for u in self.users}
        self.escrows: dict[str, dict] = {}
        self.posted: dict[str, tuple] = {}  # key -> (request, transaction pk)
        self.counter = 0
        self.now = timezone.now()

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def key(self) -> str:
        self.counter += 1
        return f"k{self.counter}"

    @initialize()
    def start(self):
        assert run_audit() == []

    @rule(user=st.integers(0, 2), amount=AMOUNTS)
    def top_up(self, user, amount):
        resident = self.users[user]
        key = self.key()
        posted = services.credit_card_top_up(resident=resident, amount=amount, idempotency_key=key)
        self.wallets[resident.pk] += amount
        self.posted[key] = (("top_up", user, amount), posted.pk)

    @rule(sender=st.integers(0, 2), recipient=st.integers(0, 2), amount=AMOUNTS)
    def pay(self, sender, recipient, amount):
        if sender == recipient:
            return
        a, b = self.users[sender], self.users[recipient]
        key = self.key()
        try:
            posted = services.pay_neighbour(
                sender=a, recipient=b, amount=amount, memo="", idempotency_key=key, now=self.now
            )
        except InsufficientFunds:
            assert self.wallets[a.pk] < amount
            return
        except LimitExceeded:
            return
        assert self.wallets[a.pk] >= amount
        self.wallets[a.pk] -= amount
        self.wallets[b.pk] += amount
        self.posted[key] = (("pay", sender, recipient, amount), posted.pk)

    @rule(data=st.data())
    def replay(self, data):
        if not self.posted:
            return
        key = data.draw(st.sampled_from(sorted(self.posted)))
        request, pk = self.posted[key]
        if request[0] == "top_up":
            again = services.credit_card_top_up(resident=self.users[request[1]], amount=request[2], idempotency_key=key)
            assert again.pk == pk
            with pytest.raises(IdempotencyConflict):
                services.credit_card_top_up(resident=self.users[request[1]], amount=request[2] + 1, idempotency_key=key)
        elif request[0] == "pay":
            _, sender, recipient, amount = request
            again = services.pay_neighbour(
                sender=self.users[sender],
                recipient=self.users[recipient],
                amount=amount,
                memo="",
                idempotency_key=key,
                now=self.now,
            )
            assert again.pk == pk

    @rule(poster=st.integers(0, 2), amount=AMOUNTS)
    def publish_peer_task(self, poster, amount):
        user = self.users[poster]
        task_key = f"task:{len(self.escrows) + 1}"
        try:
            services.fund_task_escrow(task_key=task_key, amount=amount, idempotency_key=self.key(), poster=user)
        except InsufficientFunds:
            assert self.wallets[user.pk] < amount
            return
        self.wallets[user.pk] -= amount
        self.escrows[task_key] = {"poster": user.pk, "balance": amount, "closed": False}

    @rule(data=st.data(), worker=st.integers(0, 2), amount=AMOUNTS)
    def reward(self, data, worker, amount):
        if not self.escrows:
            return
        task_key = data.draw(st.sampled_from(sorted(self.escrows)))
        escrow = self.escrows[task_key]
        user = self.users[worker]
        try:
            services.pay_task_reward(task_key=task_key, resident=user, amount=amount, idempotency_key=self.key())
        except EscrowAlreadyResolved:
            assert escrow["closed"]
            return
        except InsufficientFunds:
            assert escrow["balance"] < amount
            return
        assert not escrow["closed"] and escrow["balance"] >= amount
        escrow["balance"] -= amount
        self.wallets[user.pk] += amount

    @rule(data=st.data())
    def close_task(self, data):
        if not self.escrows:
            return
        task_key = data.draw(st.sampled_from(sorted(self.escrows)))
        escrow = self.escrows[task_key]
        try:
            services.refund_task_escrow(task_key=task_key, idempotency_key=self.key())
        except EscrowAlreadyResolved:
            assert escrow["closed"]
            return
        self.wallets[escrow["poster"]] += escrow["balance"]
        escrow["balance"] = 0
        escrow["closed"] = True

    @invariant()
    def balances_match_the_model_and_the_audit_passes(self):
        for user in self.users:
            assert services.wallet_balance(user=user) == self.wallets[user.pk]
        for task_key, escrow in self.escrows.items():
            assert services.escrow_balance(task_key=task_key) == escrow["balance"]
        assert run_audit() == []


@pytest.mark.django_db
def test_the_ledger_matches_a_model_of_balances_under_random_operations():
    LedgerMachine.users = [make_user() for _ in range(3)]
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
