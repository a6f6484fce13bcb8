"""Domain errors of the tasks app. Each carries a translated message that views show as is."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class TaskError(Exception):
    """Base class: `message` is shown to the user."""

    default_message = _("The task could not be changed.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class TaskNotOpen(TaskError):
    default_message = _("This task is not open for claims.")


class TaskFull(TaskError):
    default_message = _("All slots of this task are taken.")


class TaskPastDeadline(TaskError):
    default_message = _("The deadline of this task has passed.")


class OwnTask(TaskError):
    default_message = _("You cannot claim your own task.")


class AlreadyClaimed(TaskError):
    default_message = _("You have already claimed this task.")


class ClaimLimitReached(TaskError):
    default_message = _("You have reached the limit of active claims. Finish or give up a claim first.")


class EarningsCapReached(TaskError):
    default_message = _("This reward would take you over this year's earnings cap.")


class ClaimNotActive(TaskError):
    default_message = _("This claim is no longer active.")


class ClaimExpired(ClaimNotActive):
    default_message = _("The claim window has passed.")


class InvalidClaimState(TaskError):
    default_message = _("The claim is not in a state that allows this.")


class InvalidTaskState(TaskError):
    default_message = _("The task is not in a state that allows this.")


class ScreeningBlocked(TaskError):
    default_message = _("The task was blocked by the market-protection rules.")


class FundsShort(TaskError):
    default_message = _("There is not enough money to fund this task.")


class TemplateRowsInvalid(TaskError):
    """A template CSV had bad rows; `errors` lists (row number, message). Nothing was published."""

    default_message = _("Some rows are not valid. Nothing was published.")

    def __init__(self, errors: list[tuple[int, str]], message=None):
        self.errors = errors
        super().__init__(message)
