from django import forms

from customers.selectors import CHURN_LABELS, RISK_CLASSES, customer_sort_keys

# The parameters that narrow the list (as opposed to ordering or paging it).
FILTER_FIELDS = ("q", "segment", "country", "plan", "risk", "churn")


class CustomerFilterForm(forms.Form):
    """The customer list's GET parameters.

    The list always renders: an invalid value becomes a form error and is left out of
    ``cleaned_data``, so the selector never sees it. The segment, country and plan choices
    come from ``options`` (see ``customer_filter_options``), so that the form and the page
    share one query.
    """

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "External ID, name or email",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    segment = forms.TypedChoiceField(label="Segment", required=False, coerce=int, empty_value=None)
    country = forms.ChoiceField(label="Country", required=False)
    plan = forms.ChoiceField(label="Plan", required=False)
    risk = forms.ChoiceField(
        label="Churn risk",
        required=False,
        choices=[("", "Any risk"), *((key, key.capitalize()) for key in RISK_CLASSES)],
    )
    churn = forms.ChoiceField(
        label="Churn label",
        required=False,
        choices=[("", "Any label"), *((key, key.capitalize()) for key in CHURN_LABELS)],
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[("", "Default"), *((key, key) for key in customer_sort_keys())],
    )
    page = forms.IntegerField(label="Page", required=False, min_value=1)

    def __init__(self, *args, options: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "Any segment"), *options["segments"]]
        self.fields["country"].choices = [("", "Any country"), *options["countries"]]
        self.fields["plan"].choices = [("", "Any plan"), *options["plans"]]

    def clean_q(self) -> str:
        # Collapse runs of whitespace, so "  jane   doe " searches for "jane doe".
        return " ".join(self.cleaned_data["q"].split())

    @property
    def valid_data(self) -> dict:
        """The values that passed validation, empty ones dropped; safe after any input."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}

    @property
    def has_filters(self) -> bool:
        return any(key in self.valid_data for key in FILTER_FIELDS)

    @property
    def current_sort(self) -> str:
        return self.valid_data.get("sort", "")

    def error_summary(self) -> list[str]:
        """One readable line per rejected parameter."""
        lines = []
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            label = (field.label if field and field.label else name).capitalize()
            lines.append(f"{label}: {' '.join(errors)}")
        return lines
