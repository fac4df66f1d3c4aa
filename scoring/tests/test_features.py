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

    other = CustomerFactory()
    InteractionFactory(customer=other, kind="purchase", value=Decimal("3.00"), occurred_at=at(40))
    for as_of in (AS_OF, AS_OF - dt.timedelta(days=15)):
        everyone = behaviour_rows(as_of=as_of)
        assert set(everyone) == {active_customer.pk, other.pk}
        single = customer_behaviour(customer_id=active_customer.pk, as_of=as_of)
        assert single == {active_customer.pk: everyone[active_customer.pk]}
        row = single[active_customer.pk]
        assert all(isinstance(row[i], dt.datetime) and row[i].tzinfo for i in (1, 2, 3))
    assert customer_behaviour(customer_id=active_customer.pk + 1000, as_of=AS_OF) == {}


# --- Churned customers seen as of their churn date (training) ---------------------------

CHURNED_AT = dt.date(2025, 4, 1)
CHURN_MOMENT = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)


@pytest.fixture
def churned_customer(db):
    """Active until a month before churning on CHURNED_AT; AS_OF is two months later."""
    customer = CustomerFactory(
        signup_date=dt.date(2024, 4, 1), churned=True, churned_at=CHURNED_AT, tenure_months=12
    )
    for days, kind, value in [
        (30, "purchase", "20.00"),
        (40, "view", None),
        (45, "support_ticket", None),
        (100, "purchase", "10.00"),
    ]:
        InteractionFactory(
            customer=customer,
            kind=kind,
            product=None,
            value=Decimal(value) if value else None,
            occurred_at=CHURN_MOMENT - dt.timedelta(days=days),
        )
    return customer


def training_table(**kwargs):
    from scoring.features import label_as_of

    return customer_table(as_of=AS_OF, as_of_by_customer=label_as_of(as_of=AS_OF, **kwargs))


def test_churned_customer_is_seen_as_of_its_churn_date(churned_customer, active_customer):
    table = training_table()
    assert table.as_of_by_customer == {churned_customer.pk: CHURN_MOMENT}
    raw = table.raw.loc[churned_customer.pk]
    assert raw["recency_days"] == pytest.approx(30.0)  # not 91: the label is not restated
    assert raw["days_since_last_purchase"] == pytest.approx(30.0)
    assert raw["days_since_first_activity"] == pytest.approx(100.0)
    assert raw["events"] == 4
    assert raw["events_last_30"] == 1  # day 30: the window's edge is inside
    assert raw["events_prev_60"] == 2  # days 40 and 45
    assert raw["purchases_last_30"] == 1
    assert raw["signup_age_days"] == (CHURNED_AT - dt.date(2024, 4, 1)).days
    assert table.labels.loc[churned_customer.pk] is True
    # Everyone else is seen as of AS_OF, exactly as without the mapping.
    plain = customer_table(as_of=AS_OF).raw
    pd.testing.assert_series_equal(table.raw.loc[active_customer.pk], plain.loc[active_customer.pk])


def test_events_after_churned_at_never_change_training_features(churned_customer):
    before = training_table().raw
    for moment in (CHURN_MOMENT, CHURN_MOMENT + dt.timedelta(days=1), AS_OF - dt.timedelta(1)):
        InteractionFactory(
            customer=churned_customer, kind="purchase", value=Decimal("99"), occurred_at=moment
        )
    pd.testing.assert_frame_equal(before, training_table().raw)
    # Scoring (one as-of for everyone) does see them.
    assert customer_table(as_of=AS_OF).raw.loc[churned_customer.pk, "events"] == 7


def test_an_event_before_churned_at_does_change_training_features(churned_customer):
    before = training_table().raw.loc[churned_customer.pk]
    InteractionFactory(
        customer=churned_customer,
        kind="purchase",
        value=Decimal("5.00"),
        occurred_at=CHURN_MOMENT - dt.timedelta(days=2),
    )
    after = training_table().raw.loc[churned_customer.pk]
    assert after["events"] == before["events"] + 1
    assert after["purchases_last_30"] == before["purchases_last_30"] + 1
    assert after["recency_days"] == pytest.approx(2.0)


def test_gap_moves_the_churned_customers_as_of_earlier(churned_customer):
    raw = training_table(gap_days=35).raw.loc[churned_customer.pk]
    assert raw["events"] == 3  # days 40, 45 and 100 before churning
    assert raw["recency_days"] == pytest.approx(5.0)
    assert raw["signup_age_days"] == (CHURNED_AT - dt.date(2024, 4, 1)).days - 35


def test_tables_without_churn_dates_are_unchanged(active_customer):
    # Telco-style: a churn label but no date; every customer keeps the common as_of.
    for i in range(4):
        customer = CustomerFactory(churned=bool(i % 2), churned_at=None)
        InteractionFactory(customer=customer, occurred_at=at(3 + i))
    active_customer.churned = True
    active_customer.save()
    table = training_table()
    assert table.as_of_by_customer == {}
    pd.testing.assert_frame_equal(table.raw, customer_table(as_of=AS_OF).raw)


def test_per_customer_as_of_is_one_query_and_matches_computing_each_alone(
    db, django_assert_num_queries
):
    rng = np.random.default_rng(3)
    moments = {}
    for i in range(12):
        customer = CustomerFactory(signup_date=dt.date(2024, 1, 1))
        for days in rng.uniform(0, 300, size=int(rng.integers(0, 8))):
            InteractionFactory(
                customer=customer,
                kind=str(rng.choice(["view", "purchase", "email_open", "email_click"])),
                value=Decimal("7.50"),
                occurred_at=at(float(days)),
            )
        if i % 4:  # many distinct dates, some customers on the common as_of
            moments[customer.pk] = at(float(rng.uniform(1, 200)))
    with django_assert_num_queries(2):
        table = customer_table(as_of=AS_OF, as_of_by_customer=moments)
    assert len(table) == 12
    for pk in table.pks:
        alone = customer_table(as_of=moments.get(pk, AS_OF), customer_ids=[pk]).raw.loc[pk]
        pd.testing.assert_series_equal(table.raw.loc[pk], alone)


def test_churned_customer_who_signed_up_after_its_as_of_is_left_out(db):
    CustomerFactory(signup_date=dt.date(2025, 5, 1), churned=True, churned_at=CHURNED_AT)
    assert customer_table(as_of=AS_OF).raw.shape[0] == 1
    assert training_table().raw.empty


# --- The behaviour window (lookback) ----------------------------------------------------


def test_lookback_leaves_out_interactions_before_the_window(active_customer):
    raw = customer_table(as_of=AS_OF, lookback=dt.timedelta(days=100)).raw.loc[active_customer.pk]
    assert raw["events"] == 8  # the purchase 200 days back is outside
    assert raw["purchases"] == 2
    assert raw["monetary"] == pytest.approx(40.0)
    assert raw["days_since_first_activity"] == pytest.approx(72.0)
    assert raw["events_prev_60"] == 5  # the trend windows are inside the lookback


def test_lookback_is_per_customer_with_their_own_as_of(churned_customer):
    # As of its churn date, 60 days back: the purchase 100 days before is outside.
    raw = training_table_with_lookback(dt.timedelta(days=60)).raw.loc[churned_customer.pk]
    assert raw["events"] == 3
    assert raw["days_since_first_activity"] == pytest.approx(45.0)
    assert raw["recency_days"] == pytest.approx(30.0)


def training_table_with_lookback(lookback):
    from scoring.features import label_as_of

    return customer_table(
        as_of=AS_OF, as_of_by_customer=label_as_of(as_of=AS_OF), lookback=lookback
    )


def test_one_customer_path_matches_the_table_with_a_lookback(active_customer):
    from scoring.features import customer_behaviour, customer_record, table_from_records

    lookback = dt.timedelta(days=60)
    behaviour = customer_behaviour(customer_id=active_customer.pk, as_of=AS_OF, lookback=lookback)
    alone = table_from_records([customer_record(active_customer)], as_of=AS_OF, behaviour=behaviour)
    table = customer_table(as_of=AS_OF, lookback=lookback)
    pd.testing.assert_series_equal(
        alone.raw.loc[active_customer.pk], table.raw.loc[active_customer.pk], check_dtype=False
    )
    assert alone.raw.loc[active_customer.pk, "events"] == 5  # days 2 to 50


def test_lookback_for_training_is_the_window_the_data_covers(db):
    from scoring.features import MIN_LOOKBACK, lookback_for_training

    customer = CustomerFactory()
    InteractionFactory(customer=customer, occurred_at=at(365))  # the data starts here
    # 100 customers: 98 churned between 100 and 200 days before AS_OF, two very early.
    moments = {i: at(100 + i) for i in range(98)} | {98: at(360), 99: at(364)}
    lookback = lookback_for_training(as_of=AS_OF, as_of_by_customer=moments, customers=100)
    # The two earliest churners are the 2% whose window may be short; the next earliest
    # (197 days before AS_OF) still has 168 days of data before its as-of.
    assert lookback == dt.timedelta(days=168)
    # Everyone as of AS_OF: the whole history.
    assert lookback_for_training(as_of=AS_OF, customers=10) == dt.timedelta(days=365)
    # Data shorter than the trend windows: never below them.
    assert lookback_for_training(as_of=at(300), customers=10) == MIN_LOOKBACK


def test_lookback_for_training_without_interactions_is_none(db):
    from scoring.features import lookback_for_training

    CustomerFactory()
    assert lookback_for_training(as_of=AS_OF, customers=1) is None
