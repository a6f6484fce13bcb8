from __future__ import annotations


class ReportsError(Exception):
    """Base of the reports app's domain errors."""


class DeletionRefused(ReportsError):
    """The account cannot be deleted yet; `reasons` lists why, in words the resident can act on."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(str(reason) for reason in reasons))
        self.reasons = reasons
