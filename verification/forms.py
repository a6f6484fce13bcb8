from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from verification.models import Decision

ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _photo_input(**extra):
    attrs = {"accept": ACCEPT, "capture": "environment"}
    attrs.update(extra)
    return attrs


class ProofForm(forms.Form):
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs=_photo_input(multiple=True)),
        help_text=_("Take the photos with your phone's camera, or choose them. JPEG, PNG, WebP or HEIC."),
    )
    before = forms.FileField(label=_("Before photo"), required=False, widget=forms.FileInput(attrs=_photo_input()))
    after = forms.FileField(label=_("After photo"), required=False, widget=forms.FileInput(attrs=_photo_input()))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, before_after: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_after = before_after
        if before_after:
            del self.fields["photos"]
        else:
            del self.fields["before"]
            del self.fields["after"]
        if not self.is_bound:
            self.initial["submission_key"] = secrets.token_urlsafe(24)

    def uploads(self):
        from verification.services import Upload

        if self.before_after:
            found = []
            for role in ("before", "after"):
                if self.cleaned_data.get(role):
                    found.append(Upload(self.cleaned_data[role], role))
            return found
        return [Upload(f) for f in self.cleaned_data.get("photos") or []]


class DecisionForm(forms.Form):
    ACTIONS = [
        ("approve", _("Approve")),
        ("reject", _("Reject")),
        ("changes", _("Request changes")),
        ("skip", _("Skip")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    reason_code = forms.TypedChoiceField(
        label=_("Reason"), choices=[("", "—"), *Decision.Reason.choices], coerce=int, required=False, empty_value=None
    )
    message = forms.CharField(
        label=_("Message to the resident"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "reject" and not data.get("reason_code"):
            self.add_error("reason_code", _("Choose a reason for the rejection."))
        if action == "changes" and not (data.get("message") or "").strip():
            self.add_error("message", _("Tell the resident what to change."))
        return data


class MessageForm(forms.Form):
    message = forms.CharField(label=_("Message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class PosterDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", _("Confirm")), ("0", _("Reject"))], coerce=lambda v: v == "1")
    reason_code = forms.TypedChoiceField(
        label=_("Reason"), choices=[("", "—"), *Decision.Reason.choices], coerce=int, required=False, empty_value=None
    )
    message = forms.CharField(
        label=_("Message"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
