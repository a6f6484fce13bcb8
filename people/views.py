from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.forms import LanguageForm, ProfileForm
from people.services import set_preferred_language, update_profile


@require_POST
def set_language(request):
    form = LanguageForm(request.POST)
    language = settings.LANGUAGE_CODE
    next_url = "/"
    if form.is_valid():
        language = form.cleaned_data["language"]
        candidate = form.cleaned_data.get("next") or "/"
        if url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
            next_url = candidate
    if request.user.is_authenticated:
        set_preferred_language(user=request.user, language=language)
    translation.activate(language)
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )
    return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = update_profile(user=request.user, **form.cleaned_data)
        translation.activate(user.preferred_language)
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "people/profile.html", {"form": form})
