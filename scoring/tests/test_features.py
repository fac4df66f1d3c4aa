import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory, InteractionFactory, ProductFactory
from scoring.features import (
    OTHER,
    FeatureError,
    customer_table,
    infer_attribute_kind,
    is_id_like,
    spec_apply,
    spec_infer,
)

AS_OF = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def at(days_before: float) -> dt.datetime:
    return AS_OF - dt.timedelta(days=days_before)


@pytest.fixture
def active_customer(db):
    customer = CustomerFactory(signup_date=dt.date(2024, 6, 1))
    product_a, product_b = ProductFactory(), ProductFactory()
    for days, kind, product, value in [
        (2, "purchase", product_a, "10.00"),
        (10, "purchase", product_b, "30.00"),
        (20, "view", product_a, None),
        (45, "return", product_a, None),
        (50, "support_ticket", None, None),
        (70, "email_open", None, None),
        (71, "email_open", None, None),
        (72, "email_click", None, None),
        (200, "purchase", product_a, "5.00"),
    ]:
        InteractionFactory(
            customer=customer,
            kind=kind,
            product=product,
            value=Decimal(value) if value else None,
            occurred_at=at(days),
        )
    return customer


def test_behaviour_aggregates(active_customer):
    raw = customer_table(as_of=AS_OF).raw.loc[active_customer.pk]
    assert raw["events"] == 9
    assert raw["purchases"] == 3
    assert raw["monetary"] == pytest.approx(45.0)
    assert raw["avg_order_value"] == pytest.approx(15.0)
    assert raw["recency_days"] == pytest.approx(2.0)
    assert raw["days_since_last_purchase"] == pytest.approx(2.0)
    assert raw["days_since_first_activity"] == pytest.approx(200.0)
    assert raw["events_last_30"] == 3
    assert raw["events_prev_60"] == 5  # days 45..72
    assert raw["activity_trend"] == pytest.approx(math.log(4 / 3.5))
    assert raw["purchases_last_30"] == 2
    assert raw["distinct_items"] == 2
    assert raw["returns"] == 1
    assert raw["support_tickets"] == 1
    assert raw["email_opens"] == 2
    assert raw["email_click_rate"] == pytest.approx(0.5)
    assert raw["signup_age_days"] == (AS_OF.date() - dt.date(2024, 6, 1)).days
    assert raw["tenure_months"] == 12
    assert raw["monthly_spend"] == pytest.approx(49.90)


def test_customer_without_interactions_gets_zero_counts_and_missing_recency(db):
    customer = CustomerFactory()
    raw = customer_table(as_of=AS_OF).raw.loc[customer.pk]
    assert raw["events"] == 0
    assert raw["monetary"] == 0
    assert np.isnan(raw["recency_days"])
    assert np.isnan(raw["avg_order_value"])


def test_two_queries_whatever_the_number_of_customers(active_customer, django_assert_num_queries):
    for _ in range(5):
        InteractionFactory(customer=CustomerFactory(), occurred_at=at(3))
    with django_assert_num_queries(2):
        table = customer_table(as_of=AS_OF)
    assert len(table.raw) == 6 + 0  # 6 customers, one row each


def test_no_leakage_from_after_as_of(active_customer):
    before = customer_table(as_of=AS_OF).raw
    InteractionFactory(
        customer=active_customer, kind="purchase", value=Decimal("999"), occurred_at=AS_OF
    )
    InteractionFactory(customer=active_customer, kind="support_ticket", occurred_at=at(-5))
    active_customer.churned = True
    active_customer.churned_at = dt.date(2025, 7, 1)
    active_customer.save()
    after = customer_table(as_of=AS_OF)
    pd.testing.assert_frame_equal(before, after.raw)
    assert not {"churned", "churned_at"} & set(after.raw.columns)
    assert after.labels.loc[active_customer.pk] is True


def test_customers_who_signed_up_after_as_of_are_left_out(db):
    CustomerFactory(signup_date=dt.date(2025, 7, 1))
    assert customer_table(as_of=AS_OF).raw.empty


def test_attribute_kinds():
    assert infer_attribute_kind(pd.Series([1, 2.5, None, " "], dtype=object)) == "numeric"
    assert infer_attribute_kind(pd.Series(["29.85", " ", "1889.5"], dtype=object)) == "numeric"
    assert infer_attribute_kind(pd.Series(["Yes", "No", 1], dtype=object)) == "categorical"
    assert infer_attribute_kind(pd.Series([None, ""], dtype=object)) == "empty"
    assert infer_attribute_kind(pd.Series([True, False], dtype=object)) == "numeric"


@pytest.mark.parametrize(
    "name", ["customerID", "customer_id", "id", "uuid", "account-id", "AccountId"]
)
def test_identifier_names(name):
    assert is_id_like(name)


@pytest.mark.parametrize("name", ["Paid", "valid", "PaymentMethod", "Dependents", "tenure"])
def test_names_that_are_not_identifiers(name):
    assert not is_id_like(name)


def test_spec_types_attributes_and_leaves_out_what_cannot_help(db):
    rng = np.random.default_rng(0)
    for i in range(60):
        CustomerFactory(
            plan="Monthly",  # constant
            country="Atlantis" if i == 0 else ["France", "Spain"][i % 2],  # one rare value
            attributes={
                "customerID": f"X-{i}",
                "Contract": ["Month-to-month", "One year"][i % 2],
                "TotalCharges": None if i < 3 else round(float(rng.uniform(10, 900)), 2),
                "SeniorCitizen": i % 2,
                "note": f"free text {i}",
                "row_number": 1000 + i,
                "ChurnReason": "Moved" if i % 3 else None,
                "empty": None,
            },
        )
    table = customer_table()
    spec = spec_infer(table.raw)
    kinds = {c["name"]: c["kind"] for c in spec["columns"]}
    assert kinds["a:Contract"] == "categorical"
    assert kinds["a:TotalCharges"] == "numeric"
    assert kinds["a:SeniorCitizen"] == "numeric"
    assert kinds["country"] == "categorical"
    dropped = spec["dropped"]
    assert dropped["a:customerID"] == "identifier-like name"
    assert "own value" in dropped["a:note"]
    assert "identifier-like" in dropped["a:row_number"]
    assert "label" in dropped["a:ChurnReason"]
    assert dropped["a:empty"] == "no values"
    assert dropped["plan"] == "constant"
    assert dropped["events"] == "constant"  # no interactions at all
    assert dropped["recency_days"] == "constant"

    country = next(c for c in spec["columns"] if c["name"] == "country")
    assert country["categories"] == ["France", "Spain", OTHER]
    assert country["rare"] == ["Atlantis"]

    X, report = spec_apply(spec, table.raw)
    assert list(X.columns) == [c["name"] for c in spec["columns"]]
    assert X["a:TotalCharges"].isna().sum() == 3  # blank -> missing
    assert X["a:TotalCharges"].dtype == np.float32
    assert isinstance(X["a:Contract"].dtype, pd.CategoricalDtype)
    assert (X["country"] == OTHER).sum() == 1
    assert report.unknown == {}


def test_unknown_category_at_scoring_becomes_missing_and_is_reported(db):
    for i in range(20):
        CustomerFactory(attributes={"Contract": ["Month-to-month", "One year"][i % 2], "n": i % 3})
    spec = spec_infer(customer_table().raw)
    newcomer = CustomerFactory(attributes={"Contract": "Three year", "n": 1})
    X, report = spec_apply(spec, customer_table(customer_ids=[newcomer.pk]).raw)
    assert pd.isna(X["a:Contract"].iloc[0])
    assert report.unknown == {"Contract": {"Three year": 1}}
    assert report.as_messages() == ["Contract: unknown value 'Three year' treated as missing"]


def test_spec_refuses_data_without_any_usable_column(db):
    for _ in range(5):
        CustomerFactory(attributes={})
    with pytest.raises(FeatureError, match="No usable feature"):
        spec_infer(customer_table().raw)


def test_interactions_are_counted_per_kind_only_before_as_of(db):
    customer = CustomerFactory()
    now = timezone.now()
    Interaction.objects.bulk_create(
        [
            Interaction(customer=customer, kind="view", occurred_at=now - dt.timedelta(days=d))
            for d in (1, 2, 3)
        ]
    )
    raw = customer_table(as_of=now - dt.timedelta(days=1, hours=12)).raw.loc[customer.pk]
    assert raw["events"] == 2


def test_single_customer_behaviour_matches_the_grouped_query(active_customer):
    from scoring.features import behaviour_rows, customer_behaviour

    for as_of in (AS_OF, AS_OF - dt.timedelta(days=15)):
        expected = behaviour_rows(
            as_of=as_of,
            interactions=Interaction.objects.filter(
                occurred_at__lt=as_of, customer_id=active_customer.pk
            ),
        )
        assert customer_behaviour(customer_id=active_customer.pk, as_of=as_of) == expected
    assert customer_behaviour(customer_id=active_customer.pk + 1000, as_of=AS_OF) == {}
