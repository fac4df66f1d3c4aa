import logging
import os
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from customers.models import ContentItem, Customer, ImportJob, Interaction, Product, Segment
from customers.services import customer_count_compact
from growthai.db import tables_vacuum_analyze
from growthai.progress import progress_set

from .errors import ImportFileError, RowRejected, RowSkipped
from .kinds import Importer, importer_class
from .readers import open_csv
from .report import ImportReport

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000

# progress(done, total, message): bytes of the file consumed so far, its size (None if
# unknown) and a line for people.
ProgressCallback = Callable[[int, int | None, str], None]


class _RollBack(Exception):
    """Leaves the transaction block so that it rolls back; never escapes this module."""


_NOT_PARSED = object()


def _parse_row(
    importer: Importer,
    report: ImportReport,
    line: int,
    values: list[str],
    problem: str,
    width: int,
) -> Any:
    """The importer's record for one row, or _NOT_PARSED when it was rejected or skipped."""
    if problem:
        report.reject(line, problem)
        return _NOT_PARSED
    if len(values) != width:
        if not any(value.strip() for value in values):
            report.skip("blank line")
        else:
            report.reject(
                line, f"expected {width} fields but found {len(values)} (a stray comma or quote?)"
            )
        return _NOT_PARSED
    try:
        return importer.parse(line, values)
    except RowRejected as exc:
        report.reject(line, exc.reason)
    except RowSkipped as exc:
        report.skip(exc.reason)
    return _NOT_PARSED


# Every table an import may write to. VACUUM passes quickly over a table it already
# found all-visible, so an import of one kind can afford to include the others.
IMPORTED_MODELS = (Segment, Product, ContentItem, Customer, Interaction)


def import_file(
    *,
    kind: str,
    path_or_file: str | os.PathLike | BinaryIO | Any,
    options: dict[str, Any] | None = None,
    partial: bool = False,
    progress: ProgressCallback | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportReport:
    """Import one CSV file (plain or gzip) of ``kind``, all or nothing unless ``partial``.

    Raises ImportFileError, having written nothing, when the file as a whole is unusable.
    Otherwise returns the report; every rejected row is in it with its line number. Without
    ``partial`` a single rejected row rolls the whole import back (``committed`` is False).
    """
    if batch_size < 1:
        raise ImportFileError("The batch size must be at least 1.")
    importer_cls = importer_class(kind)
    report = ImportReport(kind=kind, partial=partial)
    importer = importer_cls(
        options={key: value for key, value in (options or {}).items() if value not in (None, "")},
        report=report,
    )
    started = time.monotonic()
    try:
        # One transaction for the whole file: a file error or a rejected row half-way
        # leaves the database exactly as it was.
        with open_csv(path_or_file) as source, transaction.atomic():
            importer.bind_header(source.header)
            width = len(source.header)
            batch: list[Any] = []

            def flush() -> None:
                # After the first rejection an all-or-nothing import is going to roll back:
                # stop writing, but keep checking so the report lists every bad row.
                importer.write(batch, write=partial or not report.rejected)
                batch.clear()

            def report_progress() -> None:
                if progress is not None:
                    progress(
                        source.bytes_read(), source.total_bytes, f"{report.rows_read:,} rows read"
                    )

            for line, values, problem in source.rows:
                report.rows_read += 1
                record = _parse_row(importer, report, line, values, problem, width)
                if record is not _NOT_PARSED:
                    batch.append(record)
                    if len(batch) >= batch_size:
                        flush()
                # Counted in rows read, not rows kept, so a file of bad rows shows progress too.
                if report.rows_read % batch_size == 0:
                    report_progress()
            if report.rows_read == report.skipped.get("blank line", 0):
                raise ImportFileError("The file has a header but no data rows.")
            flush()
            report_progress()
            importer.finish(write=partial or not report.rejected)
            # Rows rejected while writing were found batch by batch; list them in file order.
            report.rejected.sort(key=lambda item: item[0])
            if report.rejected and not partial:
                raise _RollBack
            report.committed = True
    except _RollBack:
        report.created.clear()
        report.updated.clear()
        report.skipped.pop("already imported", None)
    finally:
        report.duration_seconds = round(time.monotonic() - started, 3)
    if report.committed and (report.created or report.updated):
        customer_count_compact()
        tables_vacuum_analyze(*IMPORTED_MODELS)
    return report


def _job_progress_key(job_id: int) -> str:
    return f"import-job:{job_id}"


def import_job_progress_key(*, job: ImportJob) -> str:
    return _job_progress_key(job.pk)


def import_job_create(
    *,
    kind: str,
    uploaded_file: UploadedFile,
    options: dict[str, Any],
    partial: bool,
    user: Any,
) -> ImportJob:
    """Store the upload and queue its import; the worker starts once this transaction commits."""
    importer_class(kind)
    if uploaded_file.size is not None and uploaded_file.size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )
    original_name = os.path.basename(uploaded_file.name or "upload.csv")[:255]
    job = ImportJob(
        kind=kind,
        original_name=original_name,
        # partial is not a model field: it travels with the mapping options.
        options={**options, "partial": bool(partial)},
        status=ImportJob.Status.QUEUED,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        job.file.save(_storage_name(original_name), uploaded_file, save=False)
        job.save()
        progress_set(_job_progress_key(job.pk), done=0, total=uploaded_file.size, message="Queued")
        transaction.on_commit(lambda: _enqueue_import(job.pk))
    return job


def _storage_name(original_name: str) -> str:
    try:
        # Keeps the extension: ".gz" is one of the two ways gzip is recognised.
        return get_valid_filename(original_name)
    except SuspiciousFileOperation:
        return "upload.csv"


def _enqueue_import(job_id: int) -> None:
    from customers.tasks import import_job_run_task

    import_job_run_task.delay(job_id)


def _claim_job(job_id: int) -> ImportJob | None:
    """Mark the job RUNNING if it is waiting; None when another run owns or finished it."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            logger.warning("Import job %s does not exist", job_id)
            return None
        abandoned = (
            job.status == ImportJob.Status.RUNNING
            and job.started_at is not None
            and (timezone.now() - job.started_at).total_seconds()
            > settings.CELERY_TASK_TIME_LIMIT + 60
        )
        if job.status != ImportJob.Status.QUEUED and not abandoned:
            return None
        # A run killed past its time limit wrote nothing (one transaction), so its redelivered
        # task may start over.
        job.status = ImportJob.Status.RUNNING
        job.started_at = timezone.now()
        job.finished_at = None
        job.error = ""
        job.save(update_fields=["status", "started_at", "finished_at", "error"])
        return job


def import_job_run(*, job_id: int) -> None:
    """Run a queued import job to the end; running it again (a redelivered task) does nothing."""
    job = _claim_job(job_id)
    if job is None:
        return
    key = _job_progress_key(job.pk)
    options = dict(job.options or {})
    partial = bool(options.pop("partial", False))

    def progress(done: int, total: int | None, message: str) -> None:
        progress_set(key, done=done, total=total, message=message)

    report: ImportReport | None = None
    error = ""
    try:
        with job.file.open("rb") as handle:
            report = import_file(
                kind=job.kind,
                path_or_file=handle,
                options=options,
                partial=partial,
                progress=progress,
            )
    except ImportFileError as exc:
        error = exc.message
    except FileNotFoundError:
        error = "The uploaded file is no longer in storage."
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        error = f"The import stopped on an unexpected error ({type(exc).__name__})."

    if report is not None and not report.committed:
        error = (
            f"{report.rows_rejected:,} row(s) rejected, so nothing was imported. Fix them, or "
            "import again with 'partial' to skip them."
        )
    job.report = report.to_dict() if report is not None else {}
    job.error = error
    job.status = ImportJob.Status.FAILED if error else ImportJob.Status.SUCCEEDED
    job.finished_at = timezone.now()
    job.save(update_fields=["report", "error", "status", "finished_at"])
    progress_set(key, done=1, total=1, message="Finished" if not error else "Failed")
