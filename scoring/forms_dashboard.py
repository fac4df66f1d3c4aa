from django import forms


class DashboardFilterForm(forms.Form):
    """The dashboard's GET parameters. An unknown value becomes a form error, is left out of
    ``valid_data`` and is shown to the user; the page always renders."""

    segment = forms.TypedChoiceField(label="Segment", required=False, coerce=int, empty_value=None)
    country = forms.ChoiceField(label="Country", required=False)
    plan = forms.ChoiceField(label="Plan", required=False)

    def __init__(self, *args, options: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "All segments"), *options["segments"]]
        self.fields["country"].choices = [("", "All countries"), *options["countries"]]
        self.fields["plan"].choices = [("", "All plans"), *options["plans"]]

    @property
    def valid_data(self) -> dict:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}

    def error_summary(self) -> list[str]:
        lines = []
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            label = field.label if field and field.label else name
            lines.append(f"{label}: {' '.join(errors)}")
        return lines
