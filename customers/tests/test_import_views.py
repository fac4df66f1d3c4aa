from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.importing.services import import_job_create, import_job_progress_key
from customers.models import ImportJob
from customers.tests.test_import_support import SAMPLES
from growthai.progress import progress_set
from growthai.roles import Role

LIST_URL = reverse("customers:import_list")
CREATE_URL = reverse("customers:import_create")


def upload(name="products.csv", data=None):
    return SimpleUploadedFile(name, SAMPLES["products"].data() if data is None else data)


def detail_url(job):
    return reverse("customers:import_detail", args=[job.pk])


@pytest.fixture
def admin_client(client_as):
    return client_as(Role.ADMIN)


@pytest.fixture
def make_job(admin_user, django_capture_on_commit_callbacks):
    def make(**overrides):
        kwargs = {
            "kind": "products",
            "uploaded_file": upload(),
            "options": {},
            "partial": False,
            "user": admin_user,
        }
        kwargs.update(overrides)
        with django_capture_on_commit_callbacks(execute=False):
            return import_job_create(**kwargs)

    return make


def test_list_shows_the_form_formats_and_past_jobs(admin_client, make_job):
    job = make_job()
    response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert f'action="{CREATE_URL}"' in html
    assert "IBM Telco Customer Churn CSV" in html  # the help for each format
    assert 'name="id_column"' in html
    assert detail_url(job) in html
    assert "badge-import-queued" in html


def test_upload_creates_a_queued_job(admin_client, django_capture_on_commit_callbacks):
    with (
        mock.patch("customers.tasks.import_job_run_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = admin_client.post(
            CREATE_URL, {"kind": "products", "file": upload(), "partial": "on"}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(job)
    assert (job.kind, job.original_name, job.status) == ("products", "products.csv", "queued")
    assert job.options == {"partial": True}
    assert job.created_by.username == "as-admin"
    assert job.file.read() == SAMPLES["products"].data()
    assert len(callbacks) == 1
    delay.assert_called_once_with(job.pk)


def test_upload_keeps_the_mapping_for_the_customers_kind(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(
            CREATE_URL,
            {
                "kind": "customers",
                "file": upload("c.csv", b"No,Who\r\n1,Ann\r\n"),
                "id_column": "No",
                "name_column": "Who",
                "email_column": "",
            },
        )
    assert ImportJob.objects.get().options == {
        "id_column": "No",
        "name_column": "Who",
        "partial": False,
    }


def test_upload_ignores_the_mapping_for_other_kinds(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(CREATE_URL, {"kind": "products", "file": upload(), "id_column": "sku"})
    assert ImportJob.objects.get().options == {"partial": False}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "products"}, "This field is required."),
        ({"kind": "suppliers", "file": "FILE"}, "Select a valid choice."),
        ({"kind": "products", "file": "EMPTY"}, "The submitted file is empty."),
        ({"kind": "products", "file": "BIG"}, "the limit is 10"),
    ],
    ids=["no-file", "unknown-kind", "empty-file", "too-big"],
)
def test_bad_upload_rerenders_the_form_with_400(admin_client, settings, data, message):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10 if data.get("file") == "BIG" else 10_000
    files = {"FILE": upload(), "EMPTY": upload(data=b""), "BIG": upload()}
    if "file" in data:
        data = {**data, "file": files[data["file"]]}
    response = admin_client.post(CREATE_URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'enctype="multipart/form-data"' in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.MANAGER, None])
def test_only_admins_may_import(client_as, make_job, role):
    job = make_job()
    client = client_as(role)
    assert client.get(LIST_URL).status_code == 403
    assert client.post(CREATE_URL, {"kind": "products", "file": upload()}).status_code == 403
    assert client.get(detail_url(job)).status_code == 403
    assert ImportJob.objects.count() == 1


def test_anonymous_is_sent_to_login(client, make_job):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_create_is_post_only(admin_client):
    assert admin_client.get(CREATE_URL).status_code == 405


def test_detail_of_a_running_job_polls_with_htmx(admin_client, make_job):
    job = make_job()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    progress_set(import_job_progress_key(job=job), done=250, total=1000, message="5,000 rows read")

    response = admin_client.get(detail_url(job))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="{detail_url(job)}"' in html
    assert f'href="{detail_url(job)}"' in html
    assert "width: 25.0%" in html
    assert "5,000 rows read" in html


def test_htmx_request_renders_only_the_progress_partial(admin_client, make_job):
    job = make_job()
    response = admin_client.get(detail_url(job), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="import-progress"')
    assert "<html" not in html
    assert 'hx-trigger="every 1s"' in html


def test_finished_job_stops_polling_and_shows_the_report(admin_client, make_job):
    job = make_job()
    job.status = ImportJob.Status.FAILED
    job.error = "60 row(s) rejected, so nothing was imported."
    job.report = {
        "kind": "products",
        "rows_read": 60,
        "created": {},
        "updated": {},
        "skipped": {"blank line": 2},
        "notes": {},
        "rejected": [[line, f"problem on {line}"] for line in range(2, 62)],
        "rows_rejected": 60,
        "committed": False,
        "duration_seconds": 0.5,
    }
    job.save()

    page_one = admin_client.get(detail_url(job), headers={"HX-Request": "true"}).content.decode()
    page_two = admin_client.get(detail_url(job) + "?page=2").content.decode()

    assert "hx-trigger" not in page_one
    assert "60 row(s) rejected, so nothing was imported." in page_one
    assert "Nothing written" in page_one
    assert "Skipped: blank line" in page_one
    assert "problem on 51" in page_one
    assert "problem on 52" not in page_one
    assert "problem on 61" in page_two
    assert "problem on 2<" not in page_two


def test_unknown_job_is_404(admin_client):
    assert admin_client.get(reverse("customers:import_detail", args=[999])).status_code == 404


def test_bad_page_numbers_do_not_fail(admin_client, make_job):
    job = make_job()
    assert admin_client.get(LIST_URL + "?page=abc").status_code == 200
    assert admin_client.get(detail_url(job) + "?page=999").status_code == 200


@pytest.mark.parametrize("name", ["x" * 300 + ".csv.gz", "../../etc/passwd.csv", "ünï cødé.csv"])
def test_awkward_file_names_are_stored_safely(
    admin_client, django_capture_on_commit_callbacks, name
):
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(CREATE_URL, {"kind": "products", "file": upload(name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get()
    assert job.file.name.startswith("imports/")
    assert ".." not in job.file.name
    assert len(job.file.name) <= 100
    assert job.file.read() == SAMPLES["products"].data()
