"""Celery tasks: each takes a primary key (or nothing, for the schedule) and calls a service.

``acks_late``: a worker lost mid-rebuild leaves the message to be delivered again, and the
service decides whether the run goes again (both parts are safe to repeat).
"""

from celery import shared_task
from django.conf import settings

from recommendations import services
from recommendations.models import RebuildRun

LIMIT = getattr(settings, "RECOMMENDATIONS_TASK_TIME_LIMIT", 1800)


@shared_task(acks_late=True, soft_time_limit=LIMIT, time_limit=LIMIT + 60)
def rebuild_recommendations(run_id: int) -> str:
    return services.rebuild_run_execute(run_id=run_id).status


@shared_task(acks_late=True, soft_time_limit=LIMIT, time_limit=LIMIT + 60)
def scheduled_embeddings_refresh() -> str:
    if services.rebuild_run_in_progress() is not None:
        return "skipped: a rebuild is already queued or running"
    run = services.rebuild_run_create(
        embeddings=True, behaviour=False, trigger=RebuildRun.Trigger.SCHEDULE, enqueue=False
    )
    return services.rebuild_run_execute(run_id=run.pk).status


@shared_task(acks_late=True, soft_time_limit=LIMIT, time_limit=LIMIT + 60)
def scheduled_rebuild() -> str:
    if services.rebuild_run_in_progress() is not None:
        return "skipped: a rebuild is already queued or running"
    run = services.rebuild_run_create(trigger=RebuildRun.Trigger.SCHEDULE, enqueue=False)
    return services.rebuild_run_execute(run_id=run.pk).status
