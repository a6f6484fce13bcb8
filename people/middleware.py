from __future__ import annotations

from django.conf import settings
from django.utils import translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}


class PreferredLanguageMiddleware:
    """A signed-in person sees their preferred language, whatever browser or device they use.

    Anonymous visitors get the language cookie or the browser's language (LocaleMiddleware);
    anything unsupported falls back to Finnish.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language in SUPPORTED:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)
