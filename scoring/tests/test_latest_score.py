"""``LatestChurnScore``: each customer's latest score, kept by the scoring services."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from scoring import selectors
from scoring.models import ChurnModel, ChurnScore, LatestChurnScore, ScoringRun
from scoring.runtime import active_model
from scoring.services import (
    churn_score_create,
    churn_scores_write,
    customer_score,
    scoring_run_create,
    scoring_run_execute,
)

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def model(db):
    return ChurnModel.objects.create(version=7, as_of=T0, artifact="churn_models/none.zip")


def _score(customer, model, probability, when):
    risk = "high" if probability >= 0.6 else "medium" if probability >= 0.3 else "low"
    return churn_score_create(
        customer=customer,
        model_id=model.pk,
        probability=probability,
        risk_class=risk,
        drivers=[{"text": f"p={probability}"}],
        scored_at=when,
    )


def _latest(customer) -> LatestChurnScore:
    return LatestChurnScore.objects.get(customer=customer)


def _newest_by_history() -> dict[int, int]:
    """customer pk -> pk of its newest score, worked out from the whole history."""
    newest: dict[int, ChurnScore] = {}
    for score in ChurnScore.objects.all():
        best = newest.get(score.customer_id)
        if best is None or (score.scored_at, score.pk) > (best.scored_at, best.pk):
            newest[score.customer_id] = score
    return {pk: score.pk for pk, score in newest.items()}


def _projection() -> dict[int, int]:
    return dict(LatestChurnScore.objects.values_list("customer_id", "score_id"))


class TestSingleScores:
    def test_a_score_becomes_the_latest_with_its_values(self, model):
        customer = CustomerFactory()
        score = _score(customer, model, 0.8, T0)

        latest = _latest(customer)
        assert latest.score_id == score.pk
        assert latest.model_id == model.pk
        assert latest.probability == pytest.approx(0.8)
        assert latest.risk_class == "high"
        assert latest.scored_at == T0

    def test_a_newer_score_replaces_it(self, model):
        customer = CustomerFactory()
        _score(customer, model, 0.8, T0)
        newer = _score(customer, model, 0.1, T0 + dt.timedelta(days=1))

        assert _latest(customer).score_id == newer.pk
        assert _latest(customer).risk_class == "low"
        assert LatestChurnScore.objects.count() == 1

    def test_an_older_score_written_later_does_not(self, model):
        customer = CustomerFactory()
        newer = _score(customer, model, 0.8, T0 + dt.timedelta(days=1))
        _score(customer, model, 0.1, T0)

        assert _latest(customer).score_id == newer.pk
        assert _latest(customer).probability == pytest.approx(0.8)

    def test_the_same_moment_goes_to_the_later_score(self, model):
        customer = CustomerFactory()
        _score(customer, model, 0.8, T0)
        second = _score(customer, model, 0.2, T0)

        assert _latest(customer).score_id == second.pk

    def test_customers_are_independent(self, model):
        first, second = CustomerFactory(), CustomerFactory()
        a = _score(first, model, 0.8, T0)
        b = _score(second, model, 0.2, T0 - dt.timedelta(days=3))

        assert _projection() == {first.pk: a.pk, second.pk: b.pk}


class TestReads:
    def test_list_annotations_and_latest_scores_come_from_the_projection(self, model):
        customer, unscored = CustomerFactory(), CustomerFactory()
        _score(customer, model, 0.9, T0)
        newest = _score(customer, model, 0.35, T0 + dt.timedelta(hours=1))

        rows = {c.pk: c for c in selectors.customers_with_churn_risk()}
        assert rows[customer.pk].churn_probability == pytest.approx(0.35)
        assert rows[customer.pk].churn_risk == "medium"
        assert rows[customer.pk].churn_scored_at == newest.scored_at
        assert rows[unscored.pk].churn_probability is None
        assert rows[unscored.pk].churn_risk is None

        latest = selectors.latest_scores(customer_ids=[customer.pk, unscored.pk])
        assert latest == {customer.pk: newest}
        assert latest[customer.pk].drivers == [{"text": "p=0.35"}]

    def test_deleting_a_model_version_takes_its_latest_rows_with_it(self, model):
        # Accepted: the customer shows as unscored until the next run, although an older
        # score of another version remains (rerun the 0004 backfill to restore it at once).
        other = ChurnModel.objects.create(version=8, as_of=T0, artifact="churn_models/x.zip")
        customer = CustomerFactory()
        _score(customer, model, 0.2, T0)
        _score(customer, other, 0.9, T0 + dt.timedelta(days=1))

        other.delete()

        assert not LatestChurnScore.objects.filter(customer=customer).exists()
        assert ChurnScore.objects.filter(customer=customer).count() == 1

    def test_deleting_scores_stays_one_statement(self, model, django_assert_num_queries):
        # Scores do not cascade to their latest rows, so Django need not load the scores
        # (a model version's, hundreds of thousands) to find them.
        for customer in (CustomerFactory(), CustomerFactory()):
            _score(customer, model, 0.5, T0)

        with django_assert_num_queries(1):
            ChurnScore.objects.filter(model=model).delete()


class TestBatchScoring:
    def test_a_run_points_every_customer_at_its_score(self, trained_model):
        run = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk, chunk_size=50)

        assert run.status == ScoringRun.Status.SUCCEEDED, run.error
        assert LatestChurnScore.objects.count() == Customer.objects.count()
        assert _projection() == _newest_by_history()
        assert set(LatestChurnScore.objects.values_list("scored_at", flat=True)) == {run.scored_at}
        for latest in LatestChurnScore.objects.select_related("score")[:20]:
            assert latest.probability == latest.score.probability
            assert latest.risk_class == latest.score.risk_class

    def test_a_run_does_not_overwrite_a_newer_single_score(self, trained_model):
        customer = Customer.objects.order_by("pk").first()
        later = churn_score_create(
            customer=customer,
            model_id=trained_model.pk,
            probability=0.01,
            risk_class="low",
            scored_at=timezone.now() + dt.timedelta(hours=1),
        )

        scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk, chunk_size=50)

        assert _latest(customer).score_id == later.pk
        assert _projection() == _newest_by_history()

    def test_a_rerun_of_the_same_run_leaves_one_right_row_each(self, trained_model):
        run = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk, chunk_size=50)
        first = _projection()
        # Redelivered: the run keeps its scored_at, replaces its own scores chunk by chunk.
        ScoringRun.objects.filter(pk=run.pk).update(status=ScoringRun.Status.QUEUED)
        again = scoring_run_execute(run_id=run.pk, chunk_size=50)

        assert again.scored_at == run.scored_at
        assert ChurnScore.objects.count() == Customer.objects.count()
        assert LatestChurnScore.objects.count() == Customer.objects.count()
        assert _projection() == _newest_by_history()
        assert set(_projection().values()).isdisjoint(first.values())

    def test_a_customer_left_out_of_a_rerun_falls_back_to_its_older_score(self, trained_model):
        customer = Customer.objects.order_by("pk").first()
        moment = timezone.now() - dt.timedelta(days=1)
        older = churn_score_create(
            customer=customer,
            model_id=trained_model.pk,
            probability=0.42,
            risk_class="medium",
            scored_at=moment - dt.timedelta(days=2),
        )
        loaded = active_model()
        pk_range = (customer.pk, customer.pk + 9)
        churn_scores_write(loaded=loaded, pk_range=pk_range, scored_at=moment)
        assert _latest(customer).scored_at == moment

        # Not signed up as of the run any more: the rewrite leaves this customer out.
        Customer.objects.filter(pk=customer.pk).update(
            signup_date=(moment + dt.timedelta(days=30)).date()
        )
        churn_scores_write(loaded=loaded, pk_range=pk_range, scored_at=moment)

        assert _latest(customer).score_id == older.pk
        assert _projection() == _newest_by_history()


def test_scoring_one_customer_and_saving_updates_the_latest_score(trained_model):
    customer = Customer.objects.order_by("pk").first()

    result = customer_score(customer=customer, save=True)

    latest = _latest(customer)
    assert latest.score_id == result.score.pk
    assert latest.probability == pytest.approx(result.probability)
    assert latest.risk_class == result.risk_class


def test_the_migration_backfills_the_latest_score_of_each_customer(model):
    migration = importlib.import_module("scoring.migrations.0004_latest_churn_score")
    first, second, unscored = CustomerFactory(), CustomerFactory(), CustomerFactory()
    # Scores stored before the projection existed: written straight, bypassing the services.
    for customer, probability, when in [
        (first, 0.1, T0),
        (first, 0.9, T0 + dt.timedelta(days=2)),
        (first, 0.5, T0 + dt.timedelta(days=1)),
        (second, 0.3, T0),
        (second, 0.7, T0),  # same moment: the later id wins
    ]:
        ChurnScore.objects.create(
            customer=customer,
            model=model,
            probability=probability,
            risk_class="low",
            scored_at=when,
        )
    assert not LatestChurnScore.objects.exists()

    class SchemaEditor:
        pass

    editor = SchemaEditor()
    editor.connection = connection
    migration.backfill(apps, editor)

    assert _projection() == _newest_by_history()
    assert _latest(first).probability == pytest.approx(0.9)
    assert _latest(second).probability == pytest.approx(0.7)
    assert not LatestChurnScore.objects.filter(customer=unscored).exists()
    # Run again, it changes nothing.
    migration.backfill(apps, editor)
    assert LatestChurnScore.objects.count() == 2


def test_latest_scores_vacuum_runs_outside_a_transaction_on_postgresql(transactional_db):
    import time

    from django.db import transaction

    from scoring.services import latest_scores_vacuum

    with transaction.atomic():
        assert latest_scores_vacuum() is False  # VACUUM cannot run in a transaction
    if connection.vendor != "postgresql":
        assert latest_scores_vacuum() is False
        return
    assert latest_scores_vacuum() is True
    # The statistics are flushed asynchronously: wait for the vacuum to show.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s",
                ["scoring_latestchurnscore"],
            )
            if cursor.fetchone()[0] >= 1:
                break
        time.sleep(0.2)
    else:
        raise AssertionError("no VACUUM of scoring_latestchurnscore was recorded")
