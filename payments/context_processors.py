from __future__ import annotations

from payments import stripe_gateway


def stripe_enabled(request):
    """`stripe_enabled` for templates: card top-ups are configured (both Stripe keys are set)."""
    return {"stripe_enabled": stripe_gateway.enabled()}
