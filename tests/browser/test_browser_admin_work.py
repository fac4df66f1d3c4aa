"""An Admin imports a file and trains a churn model, watching live progress that a real
Celery worker drives to Succeeded."""

import pytest
from django.urls import reverse

from customers.models import ImportJob, Product
from customers.tests.factories import UserFactory
from growthai.roles import Role
from growthai.tests.worker import running_worker
from scoring.models import TrainingRun
from scoring.tests.data import make_customers

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow]

PRODUCTS_CSV = """sku,name,description,category,price,active
BRW-001,Trail flask,A steel flask that keeps drinks cold for a day.,Outdoor,24.50,true
BRW-002,Desk lamp,A dimmable lamp with a warm light.,Home & Kitchen,39.00,true
BRW-003,Wool socks,Three pairs of merino socks.,Clothing,18.90,false
"""


@pytest.fixture
def admin(site):
    return UserFactory(username="admin-b", role=Role.ADMIN)


@pytest.fixture
def small_training(settings, monkeypatch):
    """Small searches: in this process (settings) and in the worker (its environment)."""
    values = {
        "CHURN_SEARCH_MAX_CONFIGS": 1,
        "CHURN_CV_FOLDS": 3,
        "CHURN_SEARCH_SECONDS": 10.0,
        "CHURN_NTHREAD": 1,
    }
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, str(value))


def test_admin_imports_a_csv_and_trains_a_model_with_live_progress(
    site, page, snap, admin, small_training, tmp_path
):
    make_customers(200, seed=3, signal=2.0)  # labelled customers to train on
    csv_path = tmp_path / "products.csv"
    csv_path.write_text(PRODUCTS_CSV)

    with running_worker(queues="cpu"):
        site.sign_in(page, admin.username)

        # Import: upload on the Imports page, then watch the job page poll to Succeeded.
        page.locator("nav.mainnav").get_by_role("link", name="Imports", exact=True).click()
        page.wait_for_url(f"**{reverse('customers:import_list')}")
        page.select_option("#id_kind", "products")
        page.set_input_files("#id_file", str(csv_path))
        snap("import-form-filled")
        with page.expect_navigation():
            page.get_by_role("button", name="Upload and import").click()
        job = ImportJob.objects.get()
        assert page.url.endswith(reverse("customers:import_detail", args=[job.pk]))
        marker = site.set_marker(page)
        snap("import-started")
        page.locator("#import-progress .badge", has_text="Succeeded").wait_for(timeout=90_000)
        snap("import-succeeded")
        assert site.marker(page) == marker, "the progress box reloaded the whole page"
        assert page.locator("#import-progress").get_by_text("Committed").count() == 1
        kpis = [
            " ".join(k.lower().split())
            for k in page.locator("#import-progress .kpi").all_inner_texts()
        ]
        assert "rows read 3" in kpis and "products created 3" in kpis, kpis
        job.refresh_from_db()
        assert job.status == ImportJob.Status.SUCCEEDED, job.error
        assert set(Product.objects.values_list("sku", flat=True)) == {
            "BRW-001",
            "BRW-002",
            "BRW-003",
        }

        # Training: the button posts with htmx; the Training box polls until Succeeded.
        page.locator("nav.mainnav").get_by_role("link", name="Churn models", exact=True).click()
        page.wait_for_url(f"**{reverse('scoring:model_list')}")
        assert "No model has been trained yet" in page.locator("#training").inner_text()
        marker = site.set_marker(page)
        page.get_by_role("button", name="Train new model").click()
        page.locator("#training .progress, #training .badge").first.wait_for()
        snap("training-started")
        page.locator("#training .badge", has_text="Succeeded").wait_for(timeout=150_000)
        snap("training-succeeded")
        assert site.marker(page) == marker, "training progress reloaded the whole page"
        assert "now active" in page.locator("#training").inner_text()
        run = TrainingRun.objects.get()
        assert run.status == TrainingRun.Status.SUCCEEDED, run.error
        assert run.created_by == admin

        # A reload shows the new version's page with its metrics.
        page.get_by_role("link", name="Reload the page").click()
        page.locator("#metrics-heading").wait_for()
        snap("model-page-after-training")
        assert f"v{run.model.version}" in page.locator("#metrics-heading").inner_text()
    assert page.js_errors == []
