from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from people.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "handle", "preferred_language", "neighbourhood", "email_notifications"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.fields["handle"].required = True

    def clean_handle(self):
        handle = self.cleaned_data["handle"].lower()
        if User.objects.filter(handle=handle).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This handle is already taken."))
        return handle


class LanguageForm(forms.Form):
    language = forms.CharField(max_length=10)
    next = forms.CharField(max_length=500, required=False)

    def clean_language(self):
        code = self.cleaned_data["language"]
        supported = {c for c, _ in settings.LANGUAGES}
        # Unknown codes fall back to Finnish rather than failing.
        return code if code in supported else settings.LANGUAGE_CODE
