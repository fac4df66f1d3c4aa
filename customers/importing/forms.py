from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .kinds import IMPORTERS, CustomersImporter


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(kind, importer.label) for kind, importer in IMPORTERS.items()],
        label="Kind of file",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row; may be gzip-compressed (.csv.gz).",
    )
    partial = forms.BooleanField(
        required=False,
        label="Import the good rows even when some rows are rejected",
        help_text="Otherwise one rejected row means nothing is imported.",
    )
    id_column = forms.CharField(required=False, max_length=200, label="Id column")
    name_column = forms.CharField(required=False, max_length=200, label="Name column")
    email_column = forms.CharField(required=False, max_length=200, label="Email column")
    segment_column = forms.CharField(required=False, max_length=200, label="Segment column")
    label_column = forms.CharField(required=False, max_length=200, label="Churn label column")
    label_positive = forms.CharField(
        required=False,
        max_length=200,
        label="Churned values",
        help_text="Comma-separated; default yes,true,1,churned,y.",
    )
    country_column = forms.CharField(required=False, max_length=200, label="Country column")
    plan_column = forms.CharField(required=False, max_length=200, label="Plan column")
    tenure_column = forms.CharField(required=False, max_length=200, label="Tenure column")
    monthly_spend_column = forms.CharField(
        required=False, max_length=200, label="Monthly spend column"
    )
    signup_date_column = forms.CharField(required=False, max_length=200, label="Signup date column")

    MAPPING_FIELDS = CustomersImporter.option_names

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)}."
            )
        return upload

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAPPING_FIELDS]

    def import_options(self) -> dict[str, str]:
        """The column mapping, which only the generic customers kind takes."""
        if self.cleaned_data["kind"] != CustomersImporter.kind:
            return {}
        return {
            name: self.cleaned_data[name].strip()
            for name in self.MAPPING_FIELDS
            if self.cleaned_data.get(name, "").strip()
        }
