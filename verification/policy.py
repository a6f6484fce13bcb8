"""Risk policy: auto-approve or queue. Pure: no database, no request, no clock, no randomness of its own.

The numbers come from the admin-editable `RiskPolicy` row (see models.py), converted to `Rules` by the
service; the random draw for the audit sample is passed in, so the decision is reproducible in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from verification.checks import Flag, History

AUTO_APPROVE = "auto_approve"
QUEUE = "queue"


@dataclass(frozen=True)
class Rules:
    auto_approve_enabled: bool = True
    min_approved_proofs: int = 3
    audit_share_percent: int = 10
    # Flags that do not stop auto-approval on their own (none by default: every flag means a person looks).
    tolerated_flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Outcome:
    action: str  # AUTO_APPROVE or QUEUE
    reasons: tuple[str, ...]  # why it was queued (empty for auto-approval)

    @property
    def auto_approved(self) -> bool:
        return self.action == AUTO_APPROVE


def decide(
    *,
    flags: Sequence[Flag],
    history: History,
    category_allows_auto: bool,
    rules: Rules,
    audit_draw: float,
) -> Outcome:
    """Auto-approve when no flag is raised, the resident is trusted and the category allows it.

    `audit_draw` is a number in [0, 1); an auto-approvable proof is queued anyway as an audit sample when
    it falls below the audit share. Reasons are codes: "disabled", "category", "flags", "new_resident",
    "recent_rejection", "audit_sample".
    """
    reasons = []
    if not rules.auto_approve_enabled:
        reasons.append("disabled")
    if not category_allows_auto:
        reasons.append("category")
    if any(flag.code not in rules.tolerated_flags for flag in flags):
        reasons.append("flags")
    if history.approved < rules.min_approved_proofs:
        reasons.append("new_resident")
    if history.rejected_recently > 0:
        reasons.append("recent_rejection")
    if reasons:
        return Outcome(QUEUE, tuple(reasons))
    if audit_draw < rules.audit_share_percent / 100:
        return Outcome(QUEUE, ("audit_sample",))
    return Outcome(AUTO_APPROVE, ())
