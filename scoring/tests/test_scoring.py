import datetime as dt
import re
import threading

import numpy as np
import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from customers.models import Customer, Interaction
from customers.tests.factories import CustomerFactory
from scoring import selectors
from scoring.models import ChurnScore, ScoringRun
from scoring.runtime import active_model, active_model_forget, risk_class
from scoring.services import (
    ScoringError,
    churn_model_promote,
    churn_model_train,
    customer_score,
    scoring_run_create,
    scoring_run_execute,
)

DRIVER_TEXT = re.compile(r"^.+ = .+ (raises|lowers) risk$")


@pytest.fixture
def scored(trained_model):
    run = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk, chunk_size=50)
    return run


def test_batch_scoring_writes_one_score_per_customer(scored, trained_model):
    assert scored.status == ScoringRun.Status.SUCCEEDED, scored.error
    customers = Customer.objects.count()
    assert scored.customers_scored == customers
    assert ChurnScore.objects.count() == customers
    assert set(ChurnScore.objects.values_list("model_id", flat=True)) == {trained_model.pk}
    assert set(ChurnScore.objects.values_list("scored_at", flat=True)) == {scored.scored_at}
    assert ChurnScore.objects.filter(probability__lt=0).count() == 0
    assert ChurnScore.objects.filter(probability__gt=1).count() == 0


def test_customers_with_unknown_label_are_scored(scored):
    unknown = Customer.objects.filter(churned=None)
    assert unknown.exists()
    assert ChurnScore.objects.filter(customer__in=unknown).count() == unknown.count()


def test_drivers_are_readable(scored):
    score = ChurnScore.objects.order_by("-probability").first()
    assert 1 <= len(score.drivers) <= 5
    labels = set()
    for driver in score.drivers:
        assert DRIVER_TEXT.match(driver["text"]), driver["text"]
        assert not driver["label"].startswith("a:")
        labels.add(driver["label"])
    contributions = [abs(d["contribution"]) for d in score.drivers]
    assert contributions == sorted(contributions, reverse=True)
    all_texts = {d["text"] for s in ChurnScore.objects.all() for d in s.drivers}
    assert any(t.startswith("Contract = Month-to-month raises risk") for t in all_texts)
    assert not [t for t in all_texts if re.search(r"= nan\b", t)]


@pytest.fixture
def behaviour_model(db):
    from scoring.tests.data import make_customers

    make_customers(160, seed=5, interactions=True, signal=2.0)
    churn_model_train()
    return active_model()


def test_a_blank_value_in_a_driver_says_what_it_means(behaviour_model):
    """Blank behaviour means no such event in the model's window; other blanks are missing."""
    model = behaviour_model
    names = model._names
    days = model.spec["lookback_days"]
    assert days == int(days)  # stored as a float of whole days, shown without ".0"
    days = int(days)
    recency, purchase = names.index("recency_days"), names.index("days_since_last_purchase")
    categorical = next(i for i, c in enumerate(model.spec["columns"]) if c.get("categories"))
    X = np.full((1, len(names)), np.nan, dtype="float32")
    contributions = np.zeros((1, len(names) + 1), dtype="float32")
    contributions[0, [recency, purchase, categorical]] = [0.9, -0.5, 0.3]

    shown = {d["feature"]: d["text"] for d in model.drivers(X, contributions)[0]}

    assert shown == {
        "recency_days": f"Days since last activity = no activity in the last {days} days "
        "raises risk",
        "days_since_last_purchase": f"Days since last purchase = no purchase in the last {days} "
        "days lowers risk",
        names[categorical]: f"{model._labels[categorical]} = missing raises risk",
    }


def test_driver_numbers_are_shown_as_people_write_them(behaviour_model):
    model = behaviour_model
    numeric = [i for i, c in enumerate(model.spec["columns"]) if not c.get("categories")]
    X = np.full((1, len(model._names)), 17.28, dtype="float32")
    X[0, numeric[0]] = 3.0
    contributions = np.zeros((1, len(model._names) + 1), dtype="float32")
    contributions[0, numeric[:2]] = [0.2, 0.1]

    values = [d["value"] for d in model.drivers(X, contributions)[0]]

    assert values == ["3", "17.28"]


def test_ages_in_days_are_shown_in_whole_days(behaviour_model):
    model = behaviour_model
    names = model._names
    recency, first = names.index("recency_days"), names.index("days_since_first_activity")
    X = np.zeros((1, len(names)), dtype="float32")
    X[0, [recency, first]] = [90.56, 3.2]
    contributions = np.zeros((1, len(names) + 1), dtype="float32")
    contributions[0, [recency, first]] = [0.3, -0.1]

    texts = [d["text"] for d in model.drivers(X, contributions)[0]]

    assert texts == [
        "Days since last activity = 91 raises risk",
        "Days since first activity = 3 lowers risk",
    ]


def test_risk_classes_follow_the_settings(settings):
    settings.CHURN_RISK_MEDIUM, settings.CHURN_RISK_HIGH = 0.2, 0.5
    assert [risk_class(p) for p in (0.1, 0.2, 0.49, 0.5)] == ["low", "medium", "medium", "high"]


def test_running_the_same_scoring_run_again_does_not_duplicate(scored):
    count = ChurnScore.objects.count()
    ScoringRun.objects.filter(pk=scored.pk).update(status=ScoringRun.Status.RUNNING)
    ScoringRun.objects.filter(pk=scored.pk).update(
        started_at=timezone.now() - timezone.timedelta(hours=2)
    )
    again = scoring_run_execute(run_id=scored.pk, chunk_size=70)
    assert again.status == ScoringRun.Status.SUCCEEDED
    assert ChurnScore.objects.count() == count
    # A finished run is left alone.
    scoring_run_execute(run_id=scored.pk)
    assert ChurnScore.objects.count() == count


def test_scoring_without_a_model_fails_clearly(db):
    CustomerFactory()
    run = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk)
    assert run.status == ScoringRun.Status.FAILED
    assert "No churn model is active" in run.error
    assert not ChurnScore.objects.exists()
    with pytest.raises(ScoringError, match="No churn model is active"):
        customer_score(customer=Customer.objects.first())


def test_unknown_category_value_is_scored_and_reported(trained_model):
    newcomer = CustomerFactory(
        attributes={"Contract": "Three year", "PaymentMethod": "Bitcoin", "TotalCharges": 10.5},
        churned=None,
    )
    result = customer_score(customer=newcomer, save=True)
    assert 0 < result.probability < 1
    assert "Contract: unknown value 'Three year' treated as missing" in result.unknown_values
    assert result.score.pk and result.score.model == trained_model

    run = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk)
    assert run.status == ScoringRun.Status.SUCCEEDED
    assert run.unknown_categories["Contract"] == {"Three year": 1}
    assert run.unknown_categories["Payment method"] == {"Bitcoin": 1}


def test_single_customer_score_matches_batch(scored):
    customer = Customer.objects.first()
    batch = ChurnScore.objects.get(customer=customer)
    single = customer_score(customer=customer)
    assert single.probability == pytest.approx(batch.probability, abs=1e-4)
    assert single.drivers[0]["feature"] == batch.drivers[0]["feature"]


def test_every_chunk_of_the_pipelined_run_keeps_its_own_predictions(scored):
    """Chunks are predicted on a thread while the next is read and the one before written:
    each stored score must still be its own customer's."""
    stored = dict(ChurnScore.objects.values_list("customer_id", "probability"))
    assert len(stored) == Customer.objects.count() > 3 * 50  # several chunks of 50
    for customer in Customer.objects.all():
        single = customer_score(customer=customer)
        assert single.probability == pytest.approx(stored[customer.pk], abs=1e-4), customer.pk


def test_a_prediction_that_fails_mid_run_fails_the_run_and_stops_its_thread(
    trained_model, monkeypatch
):
    from scoring import services

    predict = services._chunk_predict
    calls = []

    def failing_on_the_third_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("out of memory")
        return predict(**kwargs)

    monkeypatch.setattr(services, "_chunk_predict", failing_on_the_third_chunk)
    run = scoring_run_execute(run_id=scoring_run_create(enqueue=False).pk, chunk_size=50)

    assert run.status == ScoringRun.Status.FAILED
    assert "MemoryError: out of memory" in run.error
    assert run.customers_scored == 100  # the two chunks before it were written
    assert ChurnScore.objects.count() == 100
    assert not [t for t in threading.enumerate() if t.name.startswith("churn-predict")]


def test_active_model_is_cached_and_reloaded_after_promotion(
    trained_model, django_assert_num_queries
):
    active_model_forget()
    first = active_model()
    with django_assert_num_queries(1):  # the cheap "which version is active" check
        assert active_model() is first
    second = churn_model_train(options={"promote": False})
    churn_model_promote(model=second)
    reloaded = active_model()
    assert reloaded is not first
    assert reloaded.version == second.version


def test_selectors_for_the_customer_pages(scored, trained_model):
    customer = Customer.objects.order_by("pk").first()
    other = Customer.objects.order_by("pk").last()
    later = customer_score(customer=customer, save=True).score

    latest = selectors.latest_scores(customer_ids=[customer.pk, other.pk])
    assert latest[customer.pk] == later
    assert latest[other.pk].customer_id == other.pk
    assert selectors.latest_scores(customer_ids=[]) == {}

    history = selectors.score_history(customer=customer)
    assert [s.pk for s in history][-1] == later.pk
    assert len(history) == 2

    annotated = selectors.customers_with_churn_risk(Customer.objects.all())
    row = annotated.get(pk=customer.pk)
    assert row.churn_probability == pytest.approx(later.probability)
    assert row.churn_risk == later.risk_class
    high = annotated.filter(churn_risk="high")
    assert all(c.churn_probability >= 0.6 for c in high)


def test_the_sparkline_keeps_even_a_certain_churner_inside_its_box():
    history = [ChurnScore(probability=p) for p in (1.0, 0.98, 0.0)]

    points = [
        tuple(map(float, pt.split(","))) for pt in selectors.sparkline_points(history).split()
    ]

    assert points == [(3.0, 3.0), (80.0, 3.6), (157.0, 33.0)]
    assert selectors.sparkline_points(history[:1]) == ""


def test_customer_panel_renders_probability_badge_drivers_and_history(scored):
    customer = Customer.objects.order_by("pk").first()
    customer_score(customer=customer, save=True)
    html = render_to_string(
        "scoring/_customer_churn_panel.html", selectors.customer_churn_panel(customer=customer)
    )
    assert "Churn risk" in html
    assert "risk</span>" in html
    assert "raises risk" in html or "lowers risk" in html
    assert "<polyline" in html
    assert "Score history" in html

    empty = render_to_string(
        "scoring/_customer_churn_panel.html",
        selectors.customer_churn_panel(customer=CustomerFactory()),
    )
    assert "Not scored yet" in empty

    from django.template import Context, Template

    tag = Template("{% load scoring %}{% churn_panel customer %}").render(
        Context({"customer": customer})
    )
    assert "Churn risk" in tag


def test_fast_numpy_path_matches_the_training_frame(trained_model):
    from scoring.features import customer_table, spec_apply
    from scoring.runtime import model_load

    loaded = model_load(trained_model)
    raw = customer_table().raw
    frame, _ = spec_apply(loaded.spec, raw)
    from_frame = loaded.probabilities(frame)
    fast = loaded.predict(raw)
    assert fast.probabilities == pytest.approx(from_frame, abs=1e-6)


def test_scores_read_interactions_within_the_models_lookback_only(db):
    from scoring.tests.data import make_customers

    make_customers(160, seed=5, interactions=True, signal=2.0)
    lookback_days = churn_model_train().feature_spec["lookback_days"]
    assert lookback_days >= 90
    customer = Customer.objects.order_by("pk").first()
    before = customer_score(customer=customer)
    # A burst of activity older than the window the model was trained with changes nothing.
    too_old = timezone.now() - dt.timedelta(days=lookback_days + 30)
    Interaction.objects.bulk_create(
        Interaction(customer=customer, kind="purchase", value=500, occurred_at=too_old)
        for _ in range(40)
    )
    after = customer_score(customer=customer)
    assert after.probability == before.probability
    assert after.drivers == before.drivers
    # Read over all history, the same customer does look different.
    from scoring.features import customer_table

    lookback = dt.timedelta(days=lookback_days)
    windowed = customer_table(customer_ids=[customer.pk], lookback=lookback).raw
    everything = customer_table(customer_ids=[customer.pk]).raw
    assert everything.loc[customer.pk, "purchases"] == windowed.loc[customer.pk, "purchases"] + 40
