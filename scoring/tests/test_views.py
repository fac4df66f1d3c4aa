import json
from unittest import mock

import pytest
from django.urls import reverse

from growthai.roles import Role
from scoring.models import ChurnModel, ScoringRun, TrainingRun
from scoring.services import churn_model_train, training_run_create

LIST = reverse("scoring:model_list")
TRAIN = reverse("scoring:model_train")
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_model_page_empty_state(client_as):
    page = client_as(Role.ADMIN).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "No model yet" in html
    assert "No model has been trained yet" in html
    assert "Train new model" in html


def test_model_page_shows_metrics_charts_and_versions(client_as, trained_model):
    page = client_as(Role.ADMIN).get(LIST)
    html = page.content.decode()
    assert f"v{trained_model.version}" in html
    assert "Log. regression, CV" in html
    repeats = trained_model.params["cv_repeats"]
    assert repeats > 1  # the fixture's customers are a small table
    assert f"settings chosen over {repeats} splits" in html
    for chart in ("chart-roc", "chart-calibration", "chart-lift", "chart-importance"):
        assert f'id="{chart}"' in html
    assert "vendor/chart.js-4.6.1.umd.min.js" in html
    charts = page.context["charts"]
    assert charts["roc"]["model"] and charts["roc"]["baseline"]
    assert charts["importance"][0]["label"]
    assert 'id="churn-charts"' in html
    json.loads(html.split('id="churn-charts" type="application/json">')[1].split("</script>")[0])
    assert page.context["models"][0].cv_auc == pytest.approx(
        trained_model.metrics["cv"]["model"]["roc_auc"]
    )


def test_detail_page_of_a_version_and_404(client_as, trained_model):
    client = client_as(Role.MANAGER)
    assert client.get(reverse("scoring:model_detail", args=[trained_model.pk])).status_code == 200
    assert client.get(reverse("scoring:model_detail", args=[9999])).status_code == 404


def test_manager_sees_the_page_read_only(client_as, trained_model):
    html = client_as(Role.MANAGER).get(LIST).content.decode()
    assert "Churn models" in html
    assert "Train new model" not in html
    assert "Promote" not in html
    assert client_as(Role.MANAGER).post(TRAIN).status_code == 403


def test_marketer_is_refused(client_as):
    assert client_as(Role.MARKETER).get(LIST).status_code == 403


def test_navigation_entry_for_admin_and_manager_only(client_as):
    assert 'href="/models/"' in client_as(Role.MANAGER).get(LIST).content.decode()
    page = client_as(Role.MARKETER).get(reverse("customers:list"), follow=True).content.decode()
    assert 'href="/models/"' not in page


def test_train_button_queues_a_run_once(client_as, admin_user, django_capture_on_commit_callbacks):
    client = client_as(Role.ADMIN)
    with (
        mock.patch("scoring.tasks.train_churn_model.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(TRAIN)
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.QUEUED
    assert run.created_by.username == "as-admin"
    delay.assert_called_once_with(run.pk)

    with mock.patch("scoring.tasks.train_churn_model.delay") as delay:
        client.post(TRAIN)
    assert TrainingRun.objects.count() == 1  # one run at a time
    delay.assert_not_called()


def test_train_with_htmx_answers_the_progress_partial(client_as):
    with mock.patch("scoring.tasks.train_churn_model.delay"):
        response = client_as(Role.ADMIN).post(TRAIN, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="training"')
    assert "<html" not in html
    assert 'hx-trigger="every 2s"' in html


def test_polling_partial_keeps_polling_while_running_and_stops_when_done(client_as, db):
    run = training_run_create(enqueue=False)
    client = client_as(Role.MANAGER)
    response = client.get(LIST, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="training"' in html
    assert "Queued" in html
    assert 'hx-trigger="every 2s"' in html
    assert f'href="{LIST}"' in html and f'hx-get="{LIST}"' in html
    assert "HX-Request" in response["Vary"]

    run.status = TrainingRun.Status.FAILED
    run.error = "Only 3 labelled customers; at least 50 are needed to train."
    run.save()
    html = client.get(LIST, **HTMX).content.decode()
    assert "every 2s" not in html
    assert "at least 50 are needed" in html
    assert "unchanged" in html


def test_every_hx_get_keeps_a_real_href(client_as, trained_model):
    training_run_create(enqueue=False)
    html = client_as(Role.ADMIN).get(LIST).content.decode()
    import re

    for tag in re.findall(r"<[^>]*hx-get=[^>]*>", html):
        assert tag.startswith("<a ") and 'href="' in tag, tag


def test_promote_is_post_only_and_switches_the_active_model(client_as, trained_model):
    second = churn_model_train(options={"promote": False})
    url = reverse("scoring:model_promote", args=[second.pk])
    client = client_as(Role.ADMIN)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "v2 is now the active model" in response.content.decode()
    second.refresh_from_db()
    assert second.status == ChurnModel.Status.ACTIVE

    response = client.post(reverse("scoring:model_rollback"), follow=True)
    assert "v1 is active again" in response.content.decode()
    trained_model.refresh_from_db()
    assert trained_model.status == ChurnModel.Status.ACTIVE


def test_promote_of_unusable_model_shows_why(client_as, db):
    from django.utils import timezone

    broken = ChurnModel.objects.create(
        version=1, as_of=timezone.now(), artifact="churn_models/gone.zip"
    )
    response = client_as(Role.ADMIN).post(
        reverse("scoring:model_promote", args=[broken.pk]), follow=True
    )
    assert "was not promoted" in response.content.decode()
    broken.refresh_from_db()
    assert broken.status == ChurnModel.Status.CANDIDATE


def test_promote_needs_csrf(admin_user, trained_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(reverse("scoring:model_promote", args=[trained_model.pk])).status_code == 403


def test_rescore_button_queues_a_scoring_run(
    client_as, trained_model, django_capture_on_commit_callbacks
):
    with (
        mock.patch("scoring.tasks.score_customers.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client_as(Role.ADMIN).post(reverse("scoring:customers_score"))
    run = ScoringRun.objects.get()
    delay.assert_called_once_with(run.pk)


def test_a_finished_runs_promotion_note_is_said_once_on_the_page(client_as, trained_model):
    trained_model.promotion_note = "No model was active."
    trained_model.save(update_fields=["promotion_note"])
    run = training_run_create(enqueue=False)
    run.status, run.model = TrainingRun.Status.SUCCEEDED, trained_model
    run.save()
    client = client_as(Role.ADMIN)

    page = client.get(LIST).content.decode()
    assert page.count("No model was active.") == 2  # the model's card and the versions table
    # While polling, the model's card is not on the screen: the run's answer says it.
    assert "No model was active." in client.get(LIST, **HTMX).content.decode()
