import numpy as np
import pytest
import scipy.sparse as sp
from django.core.files.storage import default_storage

from customers.models import Interaction
from customers.tests.factories import CustomerFactory, ProductFactory
from recommendations import behaviour, services
from recommendations.behaviour import BehaviourArtifact, item_keys
from recommendations.models import BehaviourModel

from .conftest import days_ago, interact

WEIGHTS = {"purchase": 1.0, "add_to_cart": 0.5, "click": 0.25, "view": 0.1, "return": -1.0}


def test_kind_weights_order_and_decay():
    kinds = np.array(["purchase", "add_to_cart", "click", "view", "return", "support_ticket"])
    weights = behaviour.event_weights(
        kinds, np.zeros(len(kinds)), kind_weights=WEIGHTS, half_life_days=30
    )
    purchase, cart, click, view, returned, ticket = weights
    assert purchase > cart > click > view > 0
    assert returned < 0
    assert ticket == 0  # kinds without a weight carry no taste signal
    aged = behaviour.event_weights(
        np.array(["purchase"] * 3), np.array([0, 30, 60]), kind_weights=WEIGHTS, half_life_days=30
    )
    assert np.allclose(aged, [1.0, 0.5, 0.25])


def _build(events, *, half_life=60.0, neighbours=10):
    """events: (customer, product id, kind, age in days)."""
    customers, ids, kinds, ages = zip(*events, strict=True)
    return behaviour.behaviour_build(
        customers=np.array(customers),
        keys=item_keys(np.zeros(len(ids), dtype=int), np.array(ids)),
        base_weights=behaviour.event_weights(
            np.array(kinds), np.zeros(len(kinds)), kind_weights=WEIGHTS, half_life_days=0
        ),
        ages_days=np.array(ages, dtype=float),
        half_life_days=half_life,
        popularity_half_life_days=14,
        neighbours=neighbours,
    )


def _similarity(artifact: BehaviourArtifact, a: int, b: int) -> float:
    keys = list(artifact.keys)
    return float(artifact.neighbours[keys.index(a << 1), keys.index(b << 1)])


def test_co_purchased_items_are_neighbours_and_strangers_are_not():
    events = []
    for customer in range(1, 5):
        events += [(customer, 1, "purchase", 1), (customer, 2, "purchase", 1)]
    for customer in range(5, 9):
        events += [(customer, 3, "purchase", 1), (customer, 4, "purchase", 1)]
    artifact = _build(events)
    assert _similarity(artifact, 1, 2) > 0.3
    assert _similarity(artifact, 2, 1) == pytest.approx(_similarity(artifact, 1, 2))
    assert _similarity(artifact, 1, 3) == 0
    assert _similarity(artifact, 1, 1) == 0  # an item is not its own neighbour


def test_a_return_cancels_the_purchase_it_takes_back():
    events = []
    for customer in range(1, 5):
        events += [(customer, 1, "purchase", 1), (customer, 2, "purchase", 1)]
        events += [(customer, 2, "return", 1)]
    events += [(9, 1, "purchase", 1), (9, 3, "purchase", 1)]
    artifact = _build(events)
    assert _similarity(artifact, 1, 2) == 0
    assert _similarity(artifact, 1, 3) > 0


def test_recent_co_occurrence_outweighs_old():
    events = []
    for customer in range(1, 5):  # two years ago: A with B
        events += [(customer, 1, "purchase", 730), (customer, 2, "purchase", 730)]
    for customer in range(5, 9):  # this week: A with C
        events += [(customer, 1, "purchase", 3), (customer, 3, "purchase", 3)]
    artifact = _build(events, half_life=60)
    assert _similarity(artifact, 1, 3) > 10 * _similarity(artifact, 1, 2)
    # Without decay the two pairs are the same evidence.
    flat = _build(events, half_life=0)
    assert _similarity(flat, 1, 3) == pytest.approx(_similarity(flat, 1, 2), rel=1e-4)


def test_neighbours_are_capped_per_item_and_popularity_is_scaled():
    events = [(c, item, "purchase", 1) for c in range(1, 30) for item in range(1, 12)]
    events += [(c, 99, "purchase", 1) for c in range(1, 4)]
    artifact = _build(events, neighbours=3)
    per_row = np.diff(artifact.neighbours.indptr)
    assert per_row.max() <= 3
    popularity = dict(zip(artifact.keys.tolist(), artifact.popularity.tolist(), strict=True))
    assert popularity[1 << 1] == pytest.approx(1.0)
    assert 0 < popularity[99 << 1] < popularity[1 << 1]


def test_artifact_survives_a_round_trip():
    events = [(c, item, "purchase", 1) for c in range(1, 6) for item in (1, 2, 3)]
    artifact = _build(events)
    artifact.cohorts = {
        "segment": behaviour.cohort_matrix(
            sp.csr_matrix(np.ones((2, 3))),
            np.array(["Consumer", ""], dtype=object),
        )
    }
    again = BehaviourArtifact.from_bytes(artifact.to_bytes())
    assert np.array_equal(again.keys, artifact.keys)
    assert (again.neighbours != artifact.neighbours).nnz == 0
    assert np.allclose(again.popularity, artifact.popularity)
    assert again.cohorts["segment"]["values"] == ["Consumer"]
    assert again.cohort_popularity("segment", "Consumer").nnz == 3
    assert again.cohort_popularity("segment", "Nobody") is None


def test_build_stores_a_ready_model_and_keeps_only_recent_ones(db):
    a, b = ProductFactory(), ProductFactory()
    for _ in range(3):
        customer = CustomerFactory()
        interact(customer, a)
        interact(customer, b)
        interact(customer, a, Interaction.Kind.SUPPORT_TICKET)
    first = services.behaviour_model_build()
    assert first.status == BehaviourModel.Status.READY
    assert default_storage.exists(first.artifact.name)
    assert first.stats["customers"] == 3 and first.stats["items"] == 2
    assert first.stats["interactions"] == 6  # support tickets carry no weight
    services.behaviour_model_build()
    third = services.behaviour_model_build()
    assert list(BehaviourModel.objects.values_list("pk", flat=True)) == [third.pk, third.pk - 1]
    assert not default_storage.exists(first.artifact.name)


def test_build_respects_as_of(db):
    a, b = ProductFactory(), ProductFactory()
    customer = CustomerFactory()
    interact(customer, a, days=10)
    interact(customer, b, days=1)

    model = services.behaviour_model_build(as_of=days_ago(5))
    assert model.stats["interactions"] == 1
