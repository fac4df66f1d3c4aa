import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from customers.tests.factories import ContentItemFactory, ProductFactory
from recommendations import services, tasks
from recommendations.models import BehaviourModel, ItemEmbedding, RebuildRun


def test_create_queues_the_task_after_commit(db, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.rebuild_recommendations, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            run = services.rebuild_run_create(behaviour=False)
        delay.assert_not_called()  # not before the row is visible to a worker
        for callback in callbacks:
            callback()
    delay.assert_called_once_with(run.pk)
    assert (run.status, run.embeddings, run.behaviour) == (RebuildRun.Status.QUEUED, True, False)


def test_nothing_to_rebuild_is_refused(db):
    with pytest.raises(services.RecommendationError):
        services.rebuild_run_create(embeddings=False, behaviour=False, enqueue=False)


def test_task_runs_the_service_once(db):
    ProductFactory()
    run = services.rebuild_run_create(embeddings=False, enqueue=False)
    assert tasks.rebuild_recommendations.run(run.pk) == RebuildRun.Status.SUCCEEDED
    run.refresh_from_db()
    assert run.behaviour_model is not None and run.report["behaviour"]["items"] == 0
    # Delivered again (acks_late): a finished run is not rebuilt.
    assert tasks.rebuild_recommendations.run(run.pk) == RebuildRun.Status.SUCCEEDED
    assert BehaviourModel.objects.count() == 1


def test_a_run_another_worker_is_running_is_left_alone(db):
    run = services.rebuild_run_create(embeddings=False, enqueue=False)
    RebuildRun.objects.filter(pk=run.pk).update(
        status=RebuildRun.Status.RUNNING, started_at=timezone.now()
    )
    assert services.rebuild_run_execute(run_id=run.pk).status == RebuildRun.Status.RUNNING
    assert not BehaviourModel.objects.exists()
    # ...unless it has been running longer than a task may: its worker died.
    RebuildRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(hours=2))
    assert services.rebuild_run_execute(run_id=run.pk).status == RebuildRun.Status.SUCCEEDED


def test_scheduled_tasks_do_not_pile_up(db):
    assert tasks.scheduled_rebuild.run() == RebuildRun.Status.SUCCEEDED
    assert tasks.scheduled_embeddings_refresh.run() == RebuildRun.Status.SUCCEEDED
    assert set(RebuildRun.objects.values_list("trigger", flat=True)) == {"schedule"}
    services.rebuild_run_create(enqueue=False)
    assert tasks.scheduled_rebuild.run().startswith("skipped")
    assert tasks.scheduled_embeddings_refresh.run().startswith("skipped")


def test_tasks_are_routed_to_the_cpu_queue(settings):
    assert settings.CELERY_TASK_ROUTES["recommendations.tasks.*"] == {"queue": "cpu"}
    assert tasks.rebuild_recommendations.acks_late
    assert tasks.rebuild_recommendations.soft_time_limit < tasks.rebuild_recommendations.time_limit


@pytest.mark.worker
@pytest.mark.slow
def test_a_real_worker_computes_the_embeddings(transactional_db):
    from growthai.tests.worker import running_worker, wait_for

    shoe = ProductFactory(name="Trail running shoe", category="Running")
    ProductFactory(name="Kitchen knife", category="Kitchen")
    ContentItemFactory(title="Trail running guide", tags=["running"])
    with running_worker(queues="cpu"):
        run = services.rebuild_run_create()  # autocommit: queued at once

        def finished():
            run.refresh_from_db()
            return run.is_finished

        wait_for(finished, timeout=240)
    assert run.status == RebuildRun.Status.SUCCEEDED, run.error
    assert run.report["embeddings"]["embedded"] == 3
    assert ItemEmbedding.objects.count() == 3
    assert ItemEmbedding.objects.get(item_kind="product", item_id=shoe.pk).dimensions == 384
    assert run.behaviour_model.status == BehaviourModel.Status.READY
