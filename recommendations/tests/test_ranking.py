"""The ranker on a hand-made catalogue: every signal is known, so every order is too."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations import ranking
from recommendations.ranking import Blend, Catalogue, Profile

# rows: 0 shoes, 1 vest, 2 headlamp, 3 knife, 4 pan, 5 socks (new) | 6 guide, 7 recipes
NAMES = [
    "Trail shoes",
    "Hydration vest",
    "Headlamp",
    "Kitchen knife",
    "Frying pan",
    "Trail socks",
    "Trail running guide",
    "Weeknight recipes",
]
VECTORS = [
    [1.0, 0.0, 0.0],
    [0.8, 0.3, 0.2],
    [0.7, 0.0, 0.7],
    [0.0, 1.0, 0.0],
    [0.0, 0.9, 0.4],
    [0.98, 0.0, 0.15],
    [1.0, 0.0, 0.1],
    [0.0, 1.0, 0.1],
]
LINKS = {(0, 1): 0.8, (0, 2): 0.3, (3, 4): 0.7, (6, 0): 0.5, (7, 3): 0.4}
POPULARITY = [0.5, 0.4, 0.2, 1.0, 0.9, 0.0, 0.6, 0.3]


def toy(**changes) -> Catalogue:
    vectors = np.array(VECTORS, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, cols, vals = [], [], []
    for (a, b), value in LINKS.items():
        rows += [a, b]
        cols += [b, a]
        vals += [value, value]
    size = len(NAMES)
    segment = sp.csr_matrix(
        np.array([[0.6, 1.0, 0, 0, 0, 0, 0.5, 0], [0, 0, 0, 1.0, 0.8, 0, 0, 0.4]]),
        dtype=np.float32,
    )
    catalogue = Catalogue(
        ids=np.array([10, 11, 12, 13, 14, 15, 20, 21], dtype=np.int64),
        spans={"product": (0, 6), "content": (6, 8)},
        names=list(NAMES),
        categories=np.array([0, 0, 0, 1, 1, 0, 2, 3], dtype=np.int32),
        content_kinds=["", "", "", "", "", "", "article", "video"],
        topics=[
            "Running",
            "Running",
            "Running",
            "Kitchen",
            "Kitchen",
            "Running",
            "running",
            "cooking",
        ],
        active=np.ones(size, dtype=bool),
        embeddings=vectors,
        neighbours=sp.csr_matrix((vals, (rows, cols)), shape=(size, size), dtype=np.float32),
        popularity=np.array(POPULARITY, dtype=np.float32),
        cohorts={"segment": ({"Consumer": 0, "Business": 1}, segment)},
    )
    for key, value in changes.items():
        setattr(catalogue, key, value)
    return catalogue


def profile(catalogue, events, *, segment="Consumer") -> Profile:
    """events: (row, interaction kind, age in days)."""
    rows = [row for row, _, _ in events]
    kinds = ["product" if row < 6 else "content" for row in rows]
    return ranking.profile_build(
        catalogue,
        item_kinds=np.array(kinds, dtype=object),
        item_ids=catalogue.ids[rows] if rows else np.zeros(0, dtype=np.int64),
        kinds=np.array([kind for _, kind, _ in events], dtype=object),
        ages_days=np.array([age for _, _, age in events], dtype=float),
        kind_weights={
            "purchase": 1.0,
            "add_to_cart": 0.5,
            "click": 0.25,
            "view": 0.1,
            "return": -1.0,
        },
        half_life_days=60,
        cohorts={"segment": segment} if segment else {},
    )


def names(catalogue, ranked):
    return [catalogue.names[item.row] for item in ranked]


def top(catalogue, prof, blend, *, kind="product", n=3, **kwargs):
    return ranking.rank(catalogue, prof, kind=kind, n=n, blend=blend, **kwargs)


@pytest.fixture
def cat():
    return toy()


@pytest.fixture
def shoe_buyer(cat):
    return profile(cat, [(0, "purchase", 2)])


def test_each_signal_alone_and_the_blend(cat, shoe_buyer):
    assert names(cat, top(cat, shoe_buyer, Blend(1, 0, 0)))[0] == "Hydration vest"
    assert names(cat, top(cat, shoe_buyer, Blend(0, 1, 0)))[0] == "Trail socks"
    assert names(cat, top(cat, shoe_buyer, Blend(0, 0, 1)))[0] == "Kitchen knife"
    hybrid = names(cat, top(cat, shoe_buyer, Blend(1, 0.75, 0.1), n=5))
    assert hybrid[0] == "Hydration vest" and "Trail socks" in hybrid[:3]
    scores = [item.score for item in top(cat, shoe_buyer, Blend(1, 0.75, 0.1), n=5)]
    assert scores == sorted(scores, reverse=True)


def test_a_new_product_without_interactions_is_reached_through_meaning(cat, shoe_buyer):
    ranked = top(cat, shoe_buyer, Blend(1, 0.75, 0.8), n=5)
    socks = next(item for item in ranked if cat.names[item.row] == "Trail socks")
    assert cat.neighbours[5].nnz == 0 and cat.popularity[5] == 0
    assert socks.reason_code == "semantic"
    assert socks.reason == "Similar to Trail shoes, which you bought"


def test_stronger_interactions_weigh_more(cat):
    # Bought the shoes, only viewed the knife: running gear comes first.
    prof = profile(cat, [(0, "purchase", 5), (3, "view", 5)])
    assert names(cat, top(cat, prof, Blend(1, 0, 0), n=2)) == ["Hydration vest", "Headlamp"]
    assert prof.verbs == {0: "purchase", 3: "view"}


def test_bought_and_inactive_items_are_left_out(cat, shoe_buyer):
    assert "Trail shoes" not in names(cat, top(cat, shoe_buyer, Blend(), n=6))
    kept = names(cat, top(cat, shoe_buyer, Blend(), n=6, exclude_consumed=False))
    assert "Trail shoes" in kept
    cat.active[1] = False
    assert "Hydration vest" not in names(cat, top(cat, shoe_buyer, Blend(), n=6))


def test_a_returned_purchase_leaves_the_taste_but_stays_bought(cat):
    prof = profile(cat, [(0, "purchase", 5), (0, "return", 4), (3, "purchase", 5)])
    assert prof.rows.tolist() == [3]
    assert 0 in prof.consumed.tolist()
    assert "Trail shoes" not in names(cat, top(cat, prof, Blend(), n=6))


def test_content_already_read_is_left_out_and_content_is_ranked_too(cat):
    prof = profile(cat, [(6, "view", 1), (0, "purchase", 3)])
    ranked = top(cat, prof, Blend(1, 0.75, 0.8), kind="content", n=2)
    assert names(cat, ranked) == ["Weeknight recipes"]


def test_per_category_cap_keeps_the_list_diverse(cat, shoe_buyer):
    capped = top(cat, shoe_buyer, Blend(1, 0.75, 0.8), n=2, max_per_category=1)
    categories = {int(cat.categories[item.row]) for item in capped}
    assert len(categories) == 2
    # Too few categories to fill the list: the cap gives way rather than return less.
    assert len(top(cat, shoe_buyer, Blend(1, 0.75, 0.8), n=4, max_per_category=1)) == 4


def test_reasons_name_the_source(cat):
    prof = profile(cat, [(0, "purchase", 3)])
    vest = top(cat, prof, Blend(1, 0, 0), n=1)[0]
    assert (vest.reason_code, vest.reason) == ("behaviour", "Because you bought Trail shoes")

    reader = profile(cat, [(6, "view", 1)])
    socks = top(cat, reader, Blend(0, 1, 0), n=1)[0]
    assert socks.reason_code == "semantic"
    assert socks.reason == "Like the articles you read on running"
    via_article = top(cat, reader, Blend(1, 0, 0), n=1)[0]
    assert via_article.reason == "Because you read “Trail running guide”"

    popular = top(cat, prof, Blend(0, 0, 1), n=1)[0]
    assert popular.reason_code == "popular"  # the knife is not popular in Consumer
    vest_popular = top(cat, profile(cat, [(3, "purchase", 1)]), Blend(0, 0, 1), n=3)
    codes = {cat.names[item.row]: item.reason for item in vest_popular}
    assert codes["Trail shoes"] == "Popular in your segment (Consumer)"


def test_cold_start_gets_what_their_segment_likes(cat):
    consumer = profile(cat, [], segment="Consumer")
    assert consumer.is_cold
    ranked = top(cat, consumer, Blend(), n=2)
    assert names(cat, ranked) == ["Hydration vest", "Trail shoes"]
    assert {item.reason for item in ranked} == {"Popular in your segment (Consumer)"}
    business = top(cat, profile(cat, [], segment="Business"), Blend(), n=1)
    assert names(cat, business) == ["Kitchen knife"]


def test_cold_start_without_a_known_cohort_falls_back_to_popularity(cat):
    ranked = top(cat, profile(cat, [], segment=None), Blend(), n=2)
    assert names(cat, ranked) == ["Kitchen knife", "Frying pan"]
    assert ranked[0].reason == "Popular with customers right now"


def test_cohort_phrases():
    assert ranking.cohort_phrase("country", "France") == (
        "popular_cohort",
        "Popular with customers in France",
    )
    assert (
        ranking.cohort_phrase("plan", "Premium")[1] == "Popular with customers on the Premium plan"
    )
    assert ranking.cohort_phrase("attributes.contract", "Two year")[1] == (
        "Popular with customers whose contract is Two year"
    )


def test_similar_items(cat):
    similar = ranking.similar_rank(cat, row=0, kind="product", n=3, blend=Blend())
    assert names(cat, similar)[0] == "Hydration vest"
    assert "Trail shoes" not in names(cat, similar)
    assert similar[0].reason == "Often chosen together with Trail shoes"
    new = ranking.similar_rank(cat, row=5, kind="product", n=1, blend=Blend())
    assert names(cat, new) == ["Trail shoes"] and new[0].reason == "Similar to Trail socks"
    content = ranking.similar_rank(cat, row=0, kind="content", n=1, blend=Blend())
    assert names(cat, content) == ["Trail running guide"]


def test_empty_catalogue_and_empty_signals():
    empty = toy(
        ids=np.zeros(0, dtype=np.int64),
        spans={"product": (0, 0), "content": (0, 0)},
        names=[],
        categories=np.zeros(0, dtype=np.int32),
        content_kinds=[],
        topics=[],
        active=np.zeros(0, dtype=bool),
        embeddings=np.zeros((0, 0), dtype=np.float32),
        neighbours=sp.csr_matrix((0, 0), dtype=np.float32),
        popularity=np.zeros(0, dtype=np.float32),
        cohorts={},
    )
    assert ranking.rank(empty, profile(empty, []), kind="product", n=5, blend=Blend()) == []
    # Items but no signal at all (nothing built yet): nothing is invented.
    bare = toy(
        embeddings=np.zeros((8, 0), dtype=np.float32),
        neighbours=sp.csr_matrix((8, 8), dtype=np.float32),
        popularity=np.zeros(8, dtype=np.float32),
        cohorts={},
    )
    assert top(bare, profile(bare, [(0, "purchase", 1)]), Blend(), n=5) == []
    with pytest.raises(ValueError):
        ranking.rank(bare, profile(bare, []), kind="service", n=1, blend=Blend())


def test_an_item_already_looked_at_says_so(cat):
    prof = profile(cat, [(0, "purchase", 3), (1, "add_to_cart", 1), (2, "view", 1)])
    reasons = {cat.names[item.row]: item for item in top(cat, prof, Blend(), n=4)}
    assert reasons["Hydration vest"].reason_code == "revisit"
    assert reasons["Hydration vest"].reason == "You added it to your basket"
    assert reasons["Headlamp"].reason == "You looked at it recently"
