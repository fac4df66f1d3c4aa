"""Celery tasks: each takes a primary key (or nothing, for the schedule) and calls a service.

The services lock the run row, re-check its state, act and stamp it, so a message delivered
twice (``acks_late`` after a lost worker) does not train or score twice.
"""

from celery import shared_task
from django.conf import settings

from scoring import services
from scoring.models import ScoringRun, TrainingRun

TRAIN_LIMIT = getattr(settings, "CHURN_TRAIN_TIME_LIMIT", 1800)
SCORE_LIMIT = getattr(settings, "CHURN_SCORE_TIME_LIMIT", 1800)


@shared_task(acks_late=True, soft_time_limit=TRAIN_LIMIT, time_limit=TRAIN_LIMIT + 60)
def train_churn_model(run_id: int) -> str:
    return services.training_run_execute(run_id=run_id).status


@shared_task(acks_late=True, soft_time_limit=SCORE_LIMIT, time_limit=SCORE_LIMIT + 60)
def score_customers(run_id: int) -> str:
    return services.scoring_run_execute(run_id=run_id).status


@shared_task(acks_late=True, soft_time_limit=TRAIN_LIMIT, time_limit=TRAIN_LIMIT + 60)
def scheduled_retrain() -> str:
    if services.training_run_in_progress() is not None:
        return "skipped: a training run is already queued or running"
    run = services.training_run_create(trigger=TrainingRun.Trigger.SCHEDULE, enqueue=False)
    return services.training_run_execute(run_id=run.pk).status


@shared_task(acks_late=True, soft_time_limit=SCORE_LIMIT, time_limit=SCORE_LIMIT + 60)
def scheduled_rescore() -> str:
    if ScoringRun.objects.filter(
        status__in=[ScoringRun.Status.QUEUED, ScoringRun.Status.RUNNING]
    ).exists():
        return "skipped: a scoring run is already queued or running"
    run = services.scoring_run_create(enqueue=False)
    return services.scoring_run_execute(run_id=run.pk).status
