import pytest
from django.core.files.storage import default_storage

from customers.models import Customer
from scoring.models import ChurnModel, ChurnScore
from scoring.runtime import ModelUnavailable, active_model_forget
from scoring.services import (
    ScoringError,
    churn_model_promote,
    churn_model_rollback,
    churn_model_train,
    customer_score,
    is_holdout,
    promotion_decide,
    scoring_run_create,
    scoring_run_execute,
)
from scoring.tests.data import make_customers


def test_promotion_rule():
    assert promotion_decide(new_auc=0.80, active_auc=0.80)
    assert promotion_decide(new_auc=0.799, active_auc=0.80)  # within the 0.002 tolerance
    assert not promotion_decide(new_auc=0.797, active_auc=0.80)
    assert not promotion_decide(new_auc=None, active_auc=0.80)


def _scramble_training_labels(seed: int):
    """Shuffle labels of non-holdout customers: a model trained then learns noise, while
    the holdout (which both models are judged on) keeps the real labels."""
    import random

    rng = random.Random(seed)
    rows = [c for c in Customer.objects.exclude(churned=None) if not is_holdout(c.external_id)]
    labels = [c.churned for c in rows]
    rng.shuffle(labels)
    for customer, label in zip(rows, labels, strict=True):
        customer.churned = label
    Customer.objects.bulk_update(rows, ["churned"])
    return {c.pk: c.churned for c in rows}


@pytest.fixture
def signal_customers(db):
    make_customers(300, seed=5, signal=2.0)
    return {c.pk: c.churned for c in Customer.objects.all()}


def test_better_model_is_promoted(signal_customers):
    _scramble_training_labels(1)
    weak = churn_model_train()
    assert weak.status == ChurnModel.Status.ACTIVE  # first model: nothing to compare with
    original = signal_customers
    rows = list(Customer.objects.all())
    for customer in rows:
        customer.churned = original[customer.pk]
    Customer.objects.bulk_update(rows, ["churned"])

    strong = churn_model_train()
    weak.refresh_from_db()
    decision = strong.metrics["promotion"]
    assert decision["new_roc_auc"] > decision["active_roc_auc"]
    assert strong.status == ChurnModel.Status.ACTIVE
    assert weak.status == ChurnModel.Status.RETIRED
    assert strong.previous_active == weak
    assert strong.metrics["holdout"]["active"]["roc_auc"] == decision["active_roc_auc"]


def test_worse_model_stays_candidate(signal_customers):
    strong = churn_model_train()
    _scramble_training_labels(2)
    weak = churn_model_train()
    strong.refresh_from_db()
    assert weak.status == ChurnModel.Status.CANDIDATE
    assert strong.status == ChurnModel.Status.ACTIVE
    assert "kept as candidate" in weak.promotion_note


def test_manual_promote_and_rollback(trained_model):
    second = churn_model_train(options={"promote": False})
    assert second.status == ChurnModel.Status.CANDIDATE
    churn_model_promote(model=second)
    trained_model.refresh_from_db()
    second.refresh_from_db()
    assert second.status == ChurnModel.Status.ACTIVE
    assert trained_model.status == ChurnModel.Status.RETIRED

    restored = churn_model_rollback()
    second.refresh_from_db()
    assert restored == trained_model
    assert restored.status == ChurnModel.Status.ACTIVE
    assert second.status == ChurnModel.Status.RETIRED
    assert ChurnModel.objects.filter(status="active").count() == 1

    with pytest.raises(ModelUnavailable, match="no earlier active version"):
        churn_model_rollback()


def test_rollback_without_active_model(db):
    with pytest.raises(ModelUnavailable, match="No model is active"):
        churn_model_rollback()


def test_promoting_a_model_whose_file_is_missing_is_refused(trained_model):
    second = churn_model_train(options={"promote": False})
    default_storage.delete(second.artifact.name)
    with pytest.raises(ModelUnavailable, match="missing"):
        churn_model_promote(model=second)
    trained_model.refresh_from_db()
    assert trained_model.status == ChurnModel.Status.ACTIVE


@pytest.mark.parametrize("damage", ["missing", "corrupt", "replaced"])
def test_unusable_active_model_file_gives_a_clear_error_and_keeps_scores(trained_model, damage):
    run = scoring_run_create(enqueue=False)
    scoring_run_execute(run_id=run.pk)
    scores_before = list(ChurnScore.objects.values_list("pk", "probability"))
    name = trained_model.artifact.name
    if damage == "missing":
        default_storage.delete(name)
    else:
        with default_storage.open(name, "wb") as handle:
            handle.write(b"not a zip" if damage == "corrupt" else b"PK\x03\x04 garbage")
        if damage == "corrupt":
            # Same checksum as the junk, so the reader itself must notice.
            import hashlib

            trained_model.artifact_sha256 = hashlib.sha256(b"not a zip").hexdigest()
            trained_model.save()
    # A process that already loaded the model keeps using it; a new process must say why not.
    active_model_forget()
    customer = Customer.objects.first()
    with pytest.raises(ScoringError, match="churn model v1"):
        customer_score(customer=customer)

    failed = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk)
    assert failed.status == "failed"
    assert "churn model v1" in failed.error
    assert list(ChurnScore.objects.values_list("pk", "probability")) == scores_before
    trained_model.refresh_from_db()
    assert trained_model.status == ChurnModel.Status.ACTIVE
