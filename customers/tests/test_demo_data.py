import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from customers import demo
from customers.demo import CATEGORY_NAMES, demo_data_delete, demo_data_seed
from customers.models import ContentItem, Customer, Interaction, Product, Segment
from customers.tests.factories import CustomerFactory, ProductFactory

AS_OF = dt.date(2026, 11, 1)
CUTOFF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _snapshot() -> tuple[list, list, list, list]:
    """Every demo row by natural keys, without primary keys and timestamps."""
    customers = list(
        Customer.objects.order_by("external_id").values_list(
            "external_id",
            "name",
            "email",
            "segment__name",
            "country",
            "region",
            "plan",
            "signup_date",
            "tenure_months",
            "monthly_spend",
            "attributes",
            "churned",
            "churned_at",
            "email_opt_out",
        )
    )
    products = list(
        Product.objects.order_by("sku").values_list("sku", "name", "description", "price")
    )
    content = list(
        ContentItem.objects.order_by("slug").values_list(
            "slug", "title", "summary", "body", "kind", "tags", "published_at"
        )
    )
    interactions = sorted(
        Interaction.objects.values_list(
            "customer__external_id",
            "product__sku",
            "content_item__slug",
            "kind",
            "quantity",
            "value",
            "occurred_at",
        ),
        key=repr,
    )
    return customers, products, content, interactions


@pytest.fixture
def seeded(db):
    return demo_data_seed(as_of=AS_OF)


def test_default_scale_matches_the_original_design(seeded):
    assert seeded.customers == Customer.objects.count() == 45
    assert seeded.products == Product.objects.count() == 120
    assert seeded.content_items == ContentItem.objects.count() == 200
    assert seeded.interactions == Interaction.objects.count() >= 700
    assert Segment.objects.filter(customers__isnull=False).distinct().count() >= 3
    assert all(segment.description for segment in Segment.objects.all())
    assert set(ContentItem.objects.values_list("kind", flat=True)) == set(ContentItem.Kind.values)
    assert set(Interaction.objects.values_list("kind", flat=True)) == set(Interaction.Kind.values)
    per_category = Counter(Product.objects.values_list("category", flat=True))
    assert per_category == dict.fromkeys(CATEGORY_NAMES, 15)


def test_catalogue_text_is_distinct_and_linked_to_categories(seeded):
    products = list(Product.objects.values("name", "description", "category"))
    assert len({p["description"] for p in products}) == len(products)
    assert len({p["name"] for p in products}) == len(products)
    assert all(len(p["description"].split()) >= 20 for p in products)
    content = list(ContentItem.objects.values("title", "summary", "body", "tags"))
    assert len({c["title"] for c in content}) == len(content)
    for item in content:
        assert item["summary"] and len(item["body"].split(". ")) >= 3
        assert sum(tag in CATEGORY_NAMES for tag in item["tags"]) == 1
        assert len(item["tags"]) >= 3  # topic words as well as the category


def test_related_items_share_vocabulary(seeded):
    shoe = Product.objects.get(name__endswith="Trail Running Shoes")
    vest = Product.objects.get(name__endswith="Running Hydration Vest")
    assert shoe.category == vest.category == "Outdoors"
    # JSON containment is not available on SQLite, so filter the 200 items in Python.
    trail_content = [c for c in ContentItem.objects.all() if "trail running" in c.tags]
    assert len(trail_content) == 5
    assert all("trail running shoes" in item.body for item in trail_content)
    assert ContentItem.objects.filter(title__icontains="marathon training").exists()


def test_customers_have_profiles_labels_and_churn_dates(seeded):
    customers = list(Customer.objects.select_related("segment"))
    for customer in customers:
        assert customer.email.endswith("@example.com") and customer.name
        assert customer.plan in {"Basic", "Plus", "Premium"}
        assert customer.country and customer.region and customer.segment
        assert customer.monthly_spend > 0 and customer.signup_date < AS_OF
        assert customer.attributes["contract"] in {"Month-to-month", "One year", "Two year"}
        assert 1 <= customer.attributes["satisfaction_score"] <= 5
        assert isinstance(customer.attributes["devices"], int)
        assert isinstance(customer.attributes["newsletter"], bool)
        assert {"payment_method", "support_plan"} <= customer.attributes.keys()
        assert (customer.churned_at is not None) == (customer.churned is True)
        if customer.churned_at:
            assert customer.signup_date < customer.churned_at < AS_OF
    unknown = [c for c in customers if c.churned is None]
    assert 1 <= len(unknown) <= 5
    assert all(c.tenure_months <= 2 for c in unknown)  # recent sign-ups
    assert any(c.churned for c in customers) and any(c.churned is False for c in customers)


def test_events_end_before_the_cutoff_and_at_churn(seeded):
    assert not Interaction.objects.filter(occurred_at__gte=CUTOFF).exists()
    for customer in Customer.objects.filter(churned=True):
        churned_at = dt.datetime.combine(customer.churned_at, dt.time(0), tzinfo=dt.UTC)
        assert not customer.interactions.filter(occurred_at__gte=churned_at).exists()
    assert not Interaction.objects.filter(
        customer__email_opt_out=True, kind__in=["email_open", "email_click"]
    ).exists()
    content_kinds = set(
        Interaction.objects.filter(content_item__isnull=False).values_list("kind", flat=True)
    )
    assert {"view", "email_click"} <= content_kinds


def test_every_return_takes_back_an_earlier_purchase_of_the_same_product(db):
    demo_data_seed(customers=400, seed=5, as_of=AS_OF)
    first_bought: dict[tuple[int, int], dt.datetime] = {}
    for customer_id, product_id, occurred_at in Interaction.objects.filter(
        kind="purchase"
    ).values_list("customer_id", "product_id", "occurred_at"):
        key = (customer_id, product_id)
        first_bought[key] = min(occurred_at, first_bought.get(key, occurred_at))
    returns = list(
        Interaction.objects.filter(kind="return").values_list(
            "customer_id", "product_id", "occurred_at"
        )
    )
    assert len(returns) > 20
    for customer_id, product_id, returned_at in returns:
        assert first_bought[(customer_id, product_id)] <= returned_at


def test_interactions_cluster_by_customer_interests(seeded):
    by_customer: dict[int, Counter] = defaultdict(Counter)
    for customer_id, category in Interaction.objects.filter(product__isnull=False).values_list(
        "customer_id", "product__category"
    ):
        by_customer[customer_id][category] += 1
    shares = [
        sum(n for _, n in counts.most_common(2)) / sum(counts.values())
        for counts in by_customer.values()
        if sum(counts.values()) >= 8
    ]
    # Spread evenly, two of eight categories would hold about a quarter of the events.
    assert np.mean(shares) > 0.6


def test_same_seed_gives_identical_data_and_another_seed_does_not(db):
    demo_data_seed(seed=7, as_of=AS_OF)
    first = _snapshot()
    demo_data_delete()
    assert not Customer.objects.exists() and not Product.objects.exists()
    demo_data_seed(seed=7, as_of=AS_OF)
    assert _snapshot() == first
    demo_data_delete()
    demo_data_seed(seed=8, as_of=AS_OF)
    other = _snapshot()
    for before, after in zip(first, other, strict=True):
        assert before != after


def test_keyword_fallback_builds_the_same_interactions(monkeypatch):
    values = (3, 5, None, "purchase", 2, Decimal("19.98"), CUTOFF)
    fast = demo._interaction_constructor()(*values)
    monkeypatch.setattr(demo, "_INTERACTION_FIELDS", ())
    slow = demo._interaction_constructor()(*values)
    fields = [f.attname for f in Interaction._meta.concrete_fields]
    assert [getattr(fast, f) for f in fields] == [getattr(slow, f) for f in fields]
    assert fast.customer_id == 3 and fast.value == Decimal("19.98") and fast.pk is None


def test_seeding_twice_is_refused_by_the_service(seeded):
    with pytest.raises(ValidationError, match="already exists"):
        demo_data_seed(as_of=AS_OF)


def test_progress_is_reported(db):
    calls = []
    demo_data_seed(
        customers=12, as_of=AS_OF, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(12, 12)]


@pytest.fixture(scope="module")
def churn_frame(django_db_setup, django_db_blocker):
    """Per-customer features from 1,500 seeded customers; the rows are rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_data_seed(customers=1500, seed=11, as_of=AS_OF)
        customers = {
            pk: {
                "churned": churned,
                "month_to_month": attributes["contract"] == "Month-to-month",
                "tenure": tenure,
                "satisfaction": attributes["satisfaction_score"],
                "end": dt.datetime.combine(churned_at or AS_OF, dt.time(0), tzinfo=dt.UTC),
                "events": 0,
                "recent": 0,
                "tickets": 0,
            }
            for pk, churned, churned_at, tenure, attributes in Customer.objects.values_list(
                "pk", "churned", "churned_at", "tenure_months", "attributes"
            )
        }
        for customer_id, kind, occurred_at in Interaction.objects.values_list(
            "customer_id", "kind", "occurred_at"
        ).iterator(chunk_size=10_000):
            row = customers[customer_id]
            row["events"] += 1
            row["tickets"] += kind == "support_ticket"
            row["recent"] += occurred_at >= row["end"] - dt.timedelta(days=30)
        transaction.set_rollback(True)
    return summary, list(customers.values())


def test_churn_signal_is_learnable(churn_frame):
    _, rows = churn_frame
    labelled = [row for row in rows if row["churned"] is not None]
    features = np.array(
        [
            [r["month_to_month"], r["tenure"], r["satisfaction"], r["tickets"], r["recent"]]
            for r in labelled
        ],
        dtype=float,
    )
    labels = np.array([r["churned"] for r in labelled], dtype=int)
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=0.3, random_state=0, stratify=labels
    )
    model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    assert roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]) > 0.7


def test_churn_rate_and_unknown_share(churn_frame):
    summary, rows = churn_frame
    assert 0.2 <= summary.churn_rate <= 0.3
    assert 0.05 <= summary.unknown / summary.customers <= 0.1
    assert 15 <= summary.interactions / summary.customers <= 25
    assert sum(r["churned"] is None for r in rows) == summary.unknown


def test_churned_customers_fade_out_before_churning(churn_frame):
    _, rows = churn_frame
    churned = [r["recent"] for r in rows if r["churned"] is True]
    retained = [r["recent"] for r in rows if r["churned"] is False]
    assert np.mean(churned) < 0.6 * np.mean(retained)


# --- The seed_demo command -----------------------------------------------------------------


def _call(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_seeds_an_empty_database_and_prints_a_summary():
    out, _ = _call("--customers", "20", "--seed", "3")
    assert Customer.objects.count() == 20
    assert "Seeded demo data" in out and "interactions" in out and "churn rate" in out


@pytest.mark.django_db
def test_command_if_empty_skips_when_customers_exist():
    CustomerFactory()
    out, _ = _call("--if-empty")
    assert "Skipped" in out
    assert Customer.objects.count() == 1 and not Product.objects.exists()


@pytest.mark.django_db
def test_command_if_empty_seeds_an_empty_database():
    _call("--if-empty", "--customers", "10")
    assert Customer.objects.count() == 10


@pytest.mark.django_db
def test_command_refuses_when_data_exists_without_a_flag():
    ProductFactory()
    with pytest.raises(CommandError, match="already holds data"):
        _call()
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_command_reset_replaces_demo_data_and_keeps_imported_rows():
    imported = CustomerFactory(external_id="CRM-1")
    _call("--reset", "--customers", "10", "--seed", "1")
    first = set(Customer.objects.values_list("name", "email"))
    out, _ = _call("--reset", "--customers", "12", "--seed", "2")
    assert "Deleted existing demo data" in out
    assert Customer.objects.count() == 13 and Product.objects.count() == 120
    assert Customer.objects.filter(pk=imported.pk).exists()
    assert set(Customer.objects.exclude(pk=imported.pk).values_list("name", "email")) != first


@pytest.mark.django_db
def test_command_rejects_conflicting_flags_and_bad_sizes():
    with pytest.raises(CommandError):
        _call("--reset", "--if-empty")
    with pytest.raises(CommandError, match="at least 1") as error:
        _call("--customers", "0")
    assert error.value.returncode == 2
