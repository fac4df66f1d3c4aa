from django import forms

from customers.selectors import (
    CHURN_LABELS,
    CURRENT_CUSTOMERS,
    RISK_CLASSES,
    customer_sort_keys,
)

# The parameters that narrow the list (as opposed to ordering or paging it).
FILTER_FIELDS = ("q", "segment", "country", "plan", "risk", "churn")


class LenientFilterForm(forms.Form):
    """A list page's GET parameters, where a bad value narrows nothing instead of failing
    the page: it becomes a form error and is left out of ``valid_data``."""

    @property
    def valid_data(self) -> dict:
        """The values that passed validation, empty ones dropped; safe after any input."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}


class CustomerFilterForm(LenientFilterForm):
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
        choices=[
            ("", "Any label"),
            (CURRENT_CUSTOMERS, "Not churned"),
            *((key, key.capitalize()) for key in CHURN_LABELS),
        ],
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


class CatalogSearchField(forms.CharField):
    """A catalogue search box that never rejects what was typed: NUL characters are dropped
    (no stored text holds one, and PostgreSQL refuses them, so the search is unchanged) and
    a pasted essay is cut to ``max_length`` rather than answered with an error."""

    def __init__(self, *, max_length: int = 200, **kwargs):
        self.cut_at = max_length
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value).replace("\x00", "")
        return " ".join(text.split())[: self.cut_at]


class CatalogFilterForm(LenientFilterForm):
    """The GET parameters of a catalogue list (products or content): a search, one choice
    filter named ``choice_name`` and the page. An unknown choice or page is left out of
    ``valid_data`` (the list shows everything rather than nothing)."""

    q = CatalogSearchField(label="Search")
    page = forms.IntegerField(label="Page", required=False, min_value=1)

    def __init__(self, *args, choice_name: str, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.choice_name = choice_name
        self.fields[choice_name] = forms.ChoiceField(required=False, choices=[("", ""), *choices])

    @property
    def filters(self) -> dict[str, str]:
        """The search and the choice, "" when absent or rejected: the list's filters."""
        data = self.valid_data
        return {"q": data.get("q", ""), self.choice_name: data.get(self.choice_name, "")}
