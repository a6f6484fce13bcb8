from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.selectors import Period

# Longest range one page may cover: a few years of monthly buckets stays cheap and readable.
MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30


class DashboardFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # A free slug: an unknown or foreign one is answered by the access helper (404), not a form error.
    department = forms.CharField(label=_("Department"), required=False, widget=forms.Select)

    def __init__(self, *args, departments, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["department"].widget.choices = [("", _("All my departments"))] + [
            (department.slug, department.name) for department in departments
        ]

    def clean(self):
        cleaned = super().clean()
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if self.errors:
            return cleaned
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."), code="reversed")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)d days at a time.") % {"days": MAX_DAYS}, code="too_long"
            )
        cleaned["period"] = Period(start=start, end=end)
        return cleaned
