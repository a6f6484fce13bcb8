"""Forms of the tasks pages. They validate input and hand clean values to tasks.services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from tasks import exceptions, services
from tasks.models import Category, TaskPolicy, TaskTemplate
from wallet.money import format_eraha

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class EurahaField(forms.DecimalField):
    """An amount of eRaha typed as 12,50 or 12.50; cleaned to integer cents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)


class TaskForm(forms.Form):
    """A city task (with `department`) or a peer task. `values()` are the keyword arguments of create_task."""

    department = forms.ModelChoiceField(queryset=None, label=_("Department"), required=False)
    category = forms.ModelChoiceField(queryset=None, label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("What needs doing"), widget=forms.Textarea(attrs={"rows": 5}))
    address = forms.CharField(label=_("Address or place"), max_length=200, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    reward = EurahaField(label=_("Reward per person (eRaha)"))
    slots = forms.IntegerField(label=_("How many people"), min_value=1, initial=1)
    claim_window_hours = forms.IntegerField(
        label=_("Hours to do it after claiming"), min_value=1, max_value=24 * 14, initial=24
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    photo_count = forms.IntegerField(label=_("Photos as proof"), min_value=0, max_value=6, initial=1)
    before_after = forms.BooleanField(label=_("A before and an after photo"), required=False)
    taken_after_claim = forms.BooleanField(label=_("Photos taken after claiming"), required=False, initial=True)
    max_distance_m = forms.IntegerField(
        label=_("Photos within this many metres of the place"), min_value=10, max_value=50_000, required=False
    )

    def __init__(self, *args, user, now, city: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.city = city
        policy = TaskPolicy.current()
        self.fields["slots"].validators.append(MaxValueValidator(policy.max_slots))
        self.fields["slots"].max_value = policy.max_slots
        categories = Category.objects.order_by("position", "name_fi")
        if city:
            self.fields["category"].queryset = categories.filter(posters__in=["city", "both"])
            self.fields["department"].queryset = user.departments.all()
            self.fields["department"].required = True
            if not kwargs.get("data") and self.fields["department"].queryset.count() == 1:
                self.initial.setdefault("department", self.fields["department"].queryset.first())
        else:
            del self.fields["department"]
            self.fields["category"].queryset = categories.filter(posters__in=["residents", "both"])
            self.fields["slots"].initial = 1
        self.fields["category"].label_from_instance = lambda category: _category_label(category)
        self.fields["latitude"].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        self.fields["longitude"].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline <= self.now:
            raise forms.ValidationError(_("The deadline must be in the future."))
        return deadline

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        _check_reward_ceiling(self, data)
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "title": data["title"],
            "description": data["description"],
            "address": data.get("address", ""),
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "reward_cents": data["reward"],
            "slots": data["slots"],
            "claim_window_hours": data["claim_window_hours"],
            "deadline": data["deadline"],
            "photo_count": data["photo_count"],
            "before_after": data.get("before_after", False),
            "taken_after_claim": data.get("taken_after_claim", False),
            "max_distance_m": data.get("max_distance_m"),
        }

    @staticmethod
    def initial_from_task(task) -> dict:
        return {
            "department": task.department,
            "category": task.category,
            "title": task.title,
            "description": task.description,
            "address": task.address,
            "latitude": task.latitude,
            "longitude": task.longitude,
            "reward": Decimal(task.reward_cents) / 100,
            "slots": task.slots,
            "claim_window_hours": task.claim_window_hours,
            "deadline": task.deadline,
            "photo_count": task.photo_count,
            "before_after": task.before_after,
            "taken_after_claim": task.taken_after_claim,
            "max_distance_m": task.max_distance_m,
        }


def _check_reward_ceiling(form: forms.Form, data: dict) -> None:
    category, reward = data.get("category"), data.get("reward")
    if category is not None and reward is not None and reward > category.reward_ceiling_cents:
        form.add_error(
            "reward",
            _("The highest reward in this category is %(ceiling)s.")
            % {"ceiling": format_eraha(category.reward_ceiling_cents)},
        )


def _category_label(category: Category) -> str:
    if category.blocked:
        return f"{category.name} ({_('not allowed')})"
    return category.name


class TemplateForm(forms.ModelForm):
    reward = EurahaField(label=_("Reward per person (eRaha)"))

    class Meta:
        model = TaskTemplate
        fields = [
            "department",
            "category",
            "name",
            "title",
            "description",
            "slots",
            "claim_window_hours",
            "days_open",
            "photo_count",
            "before_after",
            "taken_after_claim",
            "max_distance_m",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = user.departments.all()
        self.fields["category"].queryset = Category.objects.filter(posters__in=["city", "both"], blocked=False)
        self.fields["slots"].validators.append(MinValueValidator(1))
        self.fields["slots"].validators.append(MaxValueValidator(TaskPolicy.current().max_slots))
        self.fields["days_open"].validators.append(MinValueValidator(1))
        self.fields["claim_window_hours"].validators.append(MinValueValidator(1))
        if self.instance.pk:
            self.initial["reward"] = Decimal(self.instance.reward_cents) / 100

    def clean(self):
        data = super().clean()
        _check_reward_ceiling(self, data)
        return data

    def save(self, commit=True):
        raise NotImplementedError("Templates are saved by tasks.services.save_template.")


class PlacesForm(forms.Form):
    """Places for a template batch: pasted CSV or an uploaded file (name, address, latitude, longitude)."""

    MAX_BYTES = 512 * 1024

    places = forms.CharField(
        label=_("Places, one a line: name, address, latitude, longitude"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
    )
    places_file = forms.FileField(label=_("…or upload a CSV file"), required=False)

    def clean(self):
        data = super().clean()
        text = data.get("places") or ""
        upload = data.get("places_file")
        if upload:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(_("The file is too large (at most 512 kB)."))
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
        if not text.strip():
            raise forms.ValidationError(_("Paste the places or upload a CSV file."))
        try:
            data["rows"] = services.parse_place_rows(text)
        except exceptions.TemplateRowsInvalid as error:
            self.row_errors = error.errors
            raise forms.ValidationError(
                [
                    _("Row %(row)s: %(message)s") % {"row": number, "message": message}
                    for number, message in error.errors
                ]
            ) from None
        data["text"] = text
        return data


class ModerationForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("allow", _("Allow: publish the task")), ("block", _("Block the task"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (shown to the poster)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class FilterForm(forms.Form):
    """Filters of the task list (GET). Invalid values are ignored rather than shown as errors."""

    KIND_CHOICES = [("", _("All tasks")), ("city", _("City tasks")), ("peer", _("Neighbours' tasks"))]
    RADIUS_CHOICES = [("1", "1 km"), ("2", "2 km"), ("5", "5 km"), ("10", "10 km"), ("25", "25 km")]

    q = forms.CharField(label=_("Search"), required=False, max_length=80)
    category = forms.ChoiceField(label=_("Category"), required=False)
    kind = forms.ChoiceField(label=_("Posted by"), required=False, choices=KIND_CHOICES)
    min_reward = EurahaField(label=_("Reward at least (eRaha)"), required=False)
    lat = forms.DecimalField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.DecimalField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    radius = forms.ChoiceField(label=_("Distance"), required=False, choices=RADIUS_CHOICES, initial="5")

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        # A callable: the categories are only read when the field is validated or rendered.
        self.fields["category"].choices = lambda: (
            [("", _("All categories"))] + [(category.slug, category.name) for category in categories]
        )

    def filters(self) -> dict:
        if not self.is_valid():
            return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return self.cleaned_data
