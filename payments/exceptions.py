"""Top-up errors. Views turn them into form errors or messages; the webhook into 400 answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class TopUpError(Exception):
    default_message = _("The top-up could not be started.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class AmountOutOfRange(TopUpError):
    default_message = _("Choose an amount within the limits.")


class MonthlyLimitReached(TopUpError):
    default_message = _("This would go over your monthly top-up limit.")


class StripeUnavailable(TopUpError):
    default_message = _(
        "The card payment service could not be reached. Nothing was charged. Please try again in a moment."
    )


class WebhookRejected(Exception):
    """A webhook that is refused with 400 and leaves nothing behind (bad signature, unknown session, ...)."""
