import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from growthai.roles import Role
from scoring import tasks
from scoring.models import ChurnModel, ChurnScore, ScoringRun, TrainingRun
from scoring.services import training_run_create, training_run_execute
from scoring.tests.data import make_customers


def test_tasks_are_late_acked_time_limited_and_on_the_cpu_queue():
    for task in (
        tasks.train_churn_model,
        tasks.score_customers,
        tasks.scheduled_retrain,
        tasks.scheduled_rescore,
    ):
        assert task.acks_late is True
        assert task.time_limit and task.soft_time_limit < task.time_limit
        assert task.name.startswith("scoring.tasks.")
    assert django_settings.CELERY_TASK_ROUTES["scoring.tasks.*"] == {"queue": "cpu"}


def test_beat_schedule_has_nightly_rescoring_and_weekly_retraining():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    rescore = schedule["churn-nightly-rescore"]
    retrain = schedule["churn-weekly-retrain"]
    assert rescore["task"] == "scoring.tasks.scheduled_rescore"
    assert retrain["task"] == "scoring.tasks.scheduled_retrain"
    assert rescore["schedule"] == crontab(minute="30", hour="2")
    assert retrain["schedule"] == crontab(minute="0", hour="3", day_of_week="0")


def test_running_a_training_run_twice_trains_once(customers):
    run = training_run_create(enqueue=False)
    assert tasks.train_churn_model.run(run.pk) == TrainingRun.Status.SUCCEEDED
    assert tasks.train_churn_model.run(run.pk) == TrainingRun.Status.SUCCEEDED
    run.refresh_from_db()
    assert ChurnModel.objects.count() == 1
    assert run.model == ChurnModel.objects.get()
    assert run.started_at <= run.finished_at


def test_a_run_another_worker_is_running_is_left_alone(customers):
    run = training_run_create(enqueue=False)
    TrainingRun.objects.filter(pk=run.pk).update(
        status=TrainingRun.Status.RUNNING, started_at=timezone.now()
    )
    training_run_execute(run_id=run.pk)
    assert not ChurnModel.objects.exists()
    # ...unless it has been "running" longer than the task may run: its worker died.
    TrainingRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(hours=2))
    assert training_run_execute(run_id=run.pk).status == TrainingRun.Status.SUCCEEDED


def test_failed_run_records_the_reason(db):
    run = training_run_create(enqueue=False)
    run = training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.FAILED
    assert "No customer has a known churn label" in run.error
    assert run.finished_at is not None


def test_scheduled_tasks(customers):
    assert tasks.scheduled_retrain.run() == TrainingRun.Status.SUCCEEDED
    assert TrainingRun.objects.get().trigger == TrainingRun.Trigger.SCHEDULE
    assert tasks.scheduled_rescore.run() == ScoringRun.Status.SUCCEEDED
    assert ChurnScore.objects.count() == Customer.objects.count()

    training_run_create(enqueue=False)  # one waiting: the schedule does not pile up runs
    assert tasks.scheduled_retrain.run().startswith("skipped")


@pytest.mark.worker
@pytest.mark.slow
def test_train_button_run_is_completed_by_a_real_worker(transactional_db, client_as, monkeypatch):
    from growthai.tests.worker import running_worker, wait_for

    # The worker reads its settings from the environment: keep its search small too.
    monkeypatch.setenv("CHURN_SEARCH_MAX_CONFIGS", "1")
    monkeypatch.setenv("CHURN_CV_FOLDS", "3")
    make_customers(200, seed=3, signal=2.0)
    client = client_as(Role.ADMIN)
    with running_worker(queues="cpu"):
        response = client.post(reverse("scoring:model_train"))
        assert response.status_code == 302
        run = TrainingRun.objects.get()

        def finished():
            run.refresh_from_db()
            return run.is_finished

        wait_for(finished, timeout=120)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert run.model is not None
    assert run.model.status == ChurnModel.Status.ACTIVE
    page = client.get(reverse("scoring:model_list"), HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" not in page and f"v{run.model.version}" in page
