from django import forms
from django.conf import settings

from campaigns.models import EmailDraft, Provider, RiskClass
from campaigns.providers import gemini_available
from customers.models import Segment

RISK_CHOICES = [("", "Any risk"), *RiskClass.choices]


class TargetForm(forms.Form):
    """Who a campaign reaches; also the live recipient count's query string."""

    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every segment.",
    )
    risk_class = forms.ChoiceField(choices=RISK_CHOICES, required=False, label="Churn risk class")
    min_probability = forms.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        label="Minimum churn probability",
        help_text="Between 0 and 1, e.g. 0.6. Empty: no minimum.",
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1"}),
    )
    max_recipients = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1_000_000,
        label="Maximum recipients",
        help_text="The riskiest customers first. Empty: everyone who matches.",
    )

    def target(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "segment_ids": [s.pk for s in data.get("segments") or []],
            "risk_class": data.get("risk_class") or "",
            "min_probability": data.get("min_probability"),
            "max_recipients": data.get("max_recipients"),
        }


class CampaignForm(TargetForm):
    name = forms.CharField(max_length=200)
    goal = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the emails should achieve, in a sentence.",
    )
    offer = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="First line: the offer; further lines: its details. Empty: each customer "
        "gets the offer matched to their churn risk and its drivers.",
    )
    brand_voice = forms.CharField(
        required=False,
        label="Brand voice",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Tone and style, e.g. warm, brief, no exclamation marks.",
    )
    provider = forms.ChoiceField(choices=Provider.choices, label="Written by")

    field_order = [
        "name",
        "goal",
        "segments",
        "risk_class",
        "min_probability",
        "max_recipients",
        "offer",
        "brand_voice",
        "provider",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        if gemini_available():
            self.fields["provider"].initial = Provider.GEMINI
            self.fields["provider"].help_text = f"Gemini model {settings.GEMINI_MODEL}."
        else:
            self.fields["provider"].choices = [(Provider.TEMPLATE, Provider.TEMPLATE.label)]
            self.fields["provider"].initial = Provider.TEMPLATE
            self.fields[
                "provider"
            ].help_text = "No GEMINI_API_KEY is set, so drafts are written by the offline template."

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "goal": data["goal"],
            "segments": data["segments"],
            "risk_class": data["risk_class"],
            "min_probability": data["min_probability"],
            "max_recipients": data["max_recipients"],
            "offer": data["offer"],
            "brand_voice": data["brand_voice"],
            "provider": data["provider"],
        }


class ReviewFilterForm(forms.Form):
    campaign = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    risk = forms.ChoiceField(choices=RISK_CHOICES, required=False, label="Churn risk")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, campaigns: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "All campaigns"), *campaigns]

    @property
    def valid_data(self) -> dict:
        if self.is_valid():
            return self.cleaned_data
        # A stale campaign id (its queue emptied) must not blank the whole page.
        return {key: value for key, value in self.cleaned_data.items() if key not in self.errors}


class DraftStatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *EmailDraft.Status.choices], required=False
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class DraftEditForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}))
    offer = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].widget.attrs["autofocus"] = True
        self.fields["subject"].max_length = settings.DRAFT_SUBJECT_MAX_CHARS


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Reason"
    )


class BulkApproveForm(forms.Form):
    draft = forms.TypedMultipleChoiceField(coerce=int, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is a valid choice here; the service re-checks every draft under its lock.
        values = self.data.getlist("draft") if hasattr(self.data, "getlist") else []
        self.fields["draft"].choices = [(v, v) for v in values if str(v).isdigit()]
