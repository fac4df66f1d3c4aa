"""Celery tasks of the campaigns app, all on the ``io`` queue (see CELERY_TASK_ROUTES).

Tasks take ids, never objects, and leave every decision to the services, which lock the
row and re-check its status: a task message delivered twice, late or after a crash changes
nothing that is already done. The io worker is meant to run a threads pool with high
concurrency, since a draft spends its time waiting on the language model:

    celery -A growthai worker -Q io --pool threads --concurrency 32 -n io@%h
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from campaigns import services
from growthai.celery import app

logger = logging.getLogger(__name__)


def enqueue_many(task, ids: list[int]) -> None:
    """Publish one message per id over a single broker connection."""
    with app.producer_or_acquire() as producer:
        for pk in ids:
            task.apply_async(args=[pk], producer=producer)


def _soft_limit(hard: float) -> float:
    # Leaves the task time to record its failure before the hard limit kills it.
    return max(hard * 0.9, hard - 30)


@shared_task(
    bind=True,
    name="campaigns.tasks.draft_generate",
    acks_late=True,
    max_retries=None,
    # On a prefork pool a hung run is killed before the recovery would take its draft over.
    time_limit=settings.DRAFT_CLAIM_TIMEOUT_SECONDS,
    soft_time_limit=_soft_limit(settings.DRAFT_CLAIM_TIMEOUT_SECONDS),
)
def draft_generate(self, draft_id: int) -> str:
    outcome = services.draft_generate(draft_id=draft_id, task_id=self.request.id or "")
    if outcome.retry_in is not None:
        # The service capped the runs (GEMINI_MAX_ATTEMPTS); Celery only waits and re-runs.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(
    bind=True,
    name="campaigns.tasks.draft_send",
    acks_late=True,
    max_retries=None,
    time_limit=settings.CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS,
    soft_time_limit=_soft_limit(settings.CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS),
)
def draft_send(self, draft_id: int) -> str:
    outcome = services.draft_send(draft_id=draft_id, task_id=self.request.id or "")
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(name="campaigns.tasks.drafts_recover_stalled", acks_late=True)
def drafts_recover_stalled() -> dict:
    return services.drafts_recover_stalled()
