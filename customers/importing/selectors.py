from typing import Any

from django.db.models import QuerySet

from customers.models import ImportJob
from growthai.progress import progress_get

from .kinds import IMPORTERS
from .services import import_job_progress_key


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-pk")


def import_job_progress(*, job: ImportJob) -> dict[str, Any] | None:
    if job.is_finished:
        return None
    return progress_get(import_job_progress_key(job=job))


def import_kinds() -> list[dict[str, str]]:
    """Each kind with the description of its columns, for the upload page."""
    return [
        {"kind": kind, "label": importer.label, "help_text": importer.help_text}
        for kind, importer in IMPORTERS.items()
    ]
