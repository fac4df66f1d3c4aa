import datetime as dt
import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from customers.importing.services import (
    import_job_create,
    import_job_progress_key,
    import_job_run,
)
from customers.models import ImportJob, Product
from customers.tasks import import_job_run_task
from customers.tests.test_import_support import SAMPLES, db_snapshot, make_existing
from growthai.progress import progress_clear, progress_get, progress_set
from growthai.roles import Role


@pytest.fixture
def make_job(admin_user, django_capture_on_commit_callbacks):
    def make(data=None, *, kind="products", name="products.csv", partial=False, options=None):
        with django_capture_on_commit_callbacks(execute=False):
            return import_job_create(
                kind=kind,
                uploaded_file=SimpleUploadedFile(
                    name, SAMPLES["products"].data() if data is None else data
                ),
                options=options or {},
                partial=partial,
                user=admin_user,
            )

    return make


def test_run_imports_and_stores_the_report(make_job):
    job = make_job()

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.error == ""
    assert job.started_at is not None
    assert job.finished_at >= job.started_at
    assert job.report["committed"] is True
    assert job.report["created"] == {"products": 2}
    assert Product.objects.filter(sku="NEW-1").exists()
    assert progress_get(import_job_progress_key(job=job))["percent"] == 100.0


def test_running_a_finished_job_again_does_nothing(make_job):
    job = make_job()
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    Product.objects.all().delete()

    import_job_run(job_id=job.pk)

    again = ImportJob.objects.get(pk=job.pk)
    assert (again.status, again.started_at, again.finished_at, again.report) == (
        job.status,
        job.started_at,
        job.finished_at,
        job.report,
    )
    assert not Product.objects.exists()


def test_a_job_another_worker_is_running_is_left_alone(make_job):
    job = make_job()
    started = timezone.now() - dt.timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=started)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert job.started_at == started
    assert not Product.objects.exists()


def test_a_job_abandoned_past_the_time_limit_runs_again(make_job, settings):
    job = make_job()
    started = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=started)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_missing_job_is_ignored(db):
    import_job_run(job_id=12345)


def test_file_error_fails_the_job_with_its_message(make_job, db):
    make_existing()
    before = db_snapshot()
    job = make_job(b"sku,name\r\n", name="empty.csv")

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "The file has a header but no data rows."
    assert job.finished_at is not None
    assert db_snapshot() == before


def test_rejected_rows_fail_an_all_or_nothing_job(make_job):
    job = make_job(b"sku,name,price\r\nA,First,1\r\nB,Second,x\r\n")

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("1 row(s) rejected, so nothing was imported.")
    assert job.report["rejected"] == [[3, "price: 'x' is not a number"]]
    assert not Product.objects.exists()


def test_partial_job_commits_the_good_rows(make_job):
    job = make_job(b"sku,name,price\r\nA,First,1\r\nB,Second,x\r\n", partial=True)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.report["rows_rejected"] == 1
    assert list(Product.objects.values_list("sku", flat=True)) == ["A"]


def test_gzip_upload_runs(make_job):
    job = make_job(
        gzip.compress(SAMPLES["online_retail"].data()), kind="online_retail", name="r.gz"
    )
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.report["created"]["interactions"] == 3


def test_customers_job_uses_its_mapping(make_job):
    job = make_job(
        b"No,Who\r\nN1,Ann\r\n", kind="customers", options={"id_column": "No", "name_column": "Who"}
    )
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.report["created"] == {"customers": 1}


def test_task_calls_the_service(make_job):
    job = make_job()
    assert import_job_run_task.acks_late is True
    assert import_job_run_task.time_limit
    import_job_run_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_progress_store(db):
    progress_set("test:one", done=50, total=200, message="halfway there")
    assert progress_get("test:one") == {
        "done": 50,
        "total": 200,
        "message": "halfway there",
        "updated_at": pytest.approx(timezone.now().timestamp(), abs=60),
        "percent": 25.0,
    }
    progress_set("test:one", done=5, total=None)
    assert progress_get("test:one")["percent"] is None
    progress_clear("test:one")
    assert progress_get("test:one") is None
    assert progress_get("test:never") is None


@pytest.mark.worker
@pytest.mark.slow
def test_upload_is_imported_by_a_real_worker(transactional_db, client_as):
    from django.urls import reverse

    from growthai.tests.worker import running_worker, wait_for

    client = client_as(Role.ADMIN)
    data = gzip.compress(SAMPLES["online_retail"].data())
    with running_worker(queues="cpu"):
        response = client.post(
            reverse("customers:import_create"),
            {"kind": "online_retail", "file": SimpleUploadedFile("retail.csv.gz", data)},
        )
        assert response.status_code == 302
        job = ImportJob.objects.get()

        def finished():
            job.refresh_from_db()
            return job.is_finished

        wait_for(finished, timeout=120)
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.report["created"]["interactions"] == 3
    page = client.get(
        reverse("customers:import_detail", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "hx-trigger" not in page
    assert "Committed" in page
