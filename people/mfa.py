"""Staff accounts must use two-factor authentication before they reach any page but their account pages."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from people.roles import is_staff_member

# Pages a staff member without MFA may still open: setting it up, signing out, and the basics.
ALLOWED_PREFIXES = ("/accounts/", "/language/", "/static/", "/healthz", "/readiness", "/media/")
STRONG_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_strong_authenticator(user) -> bool:
    return Authenticator.objects.filter(user=user, type__in=STRONG_TYPES).exists()


def needs_mfa_setup(user) -> bool:
    return (user.is_staff or is_staff_member(user)) and not has_strong_authenticator(user)


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and request.path != "/"
            and needs_mfa_setup(user)
        ):
            messages.warning(
                request, _("Staff accounts must set up two-factor authentication before using staff pages.")
            )
            return redirect("mfa_index")
        return self.get_response(request)
