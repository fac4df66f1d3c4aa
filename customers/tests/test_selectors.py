import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import selectors
from customers.models import Customer, Interaction
from customers.tests.factories import (
    ContentItemFactory,
    CustomerFactory,
    InteractionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def external_ids(queryset) -> list[str]:
    return [customer.external_id for customer in queryset]


class TestCustomerList:
    def test_without_filters_returns_everyone_by_external_id(self):
        for external_id in ("B-2", "A-1", "C-3"):
            CustomerFactory(external_id=external_id)

        assert external_ids(selectors.customer_list(filters={})) == ["A-1", "B-2", "C-3"]
        assert external_ids(selectors.customer_list()) == ["A-1", "B-2", "C-3"]

    @pytest.mark.parametrize("term", ["x-42", "ada love", "ADA@ANALYTICAL", "  x-42  "])
    def test_search_matches_external_id_name_or_email_ignoring_case(self, term):
        CustomerFactory(external_id="X-42", name="Ada Lovelace", email="ada@analytical.example")
        CustomerFactory(external_id="Y-7", name="Charles Babbage", email="cb@engine.example")
        if term.strip() in {"ada love", "ADA@ANALYTICAL"}:
            CustomerFactory(external_id="Z-1", name="Grace Hopper", email="grace@navy.example")

        assert external_ids(selectors.customer_list(filters={"q": term})) == ["X-42"]

    def test_filters_by_segment_country_and_plan_together(self):
        consumer = SegmentFactory(name="Consumer")
        business = SegmentFactory(name="Business")
        CustomerFactory(external_id="match", segment=business, country="France", plan="Annual")
        CustomerFactory(
            external_id="other-segment", segment=consumer, country="France", plan="Annual"
        )
        CustomerFactory(
            external_id="other-country", segment=business, country="Spain", plan="Annual"
        )
        CustomerFactory(
            external_id="other-plan", segment=business, country="France", plan="Monthly"
        )

        result = selectors.customer_list(
            filters={"segment": business.pk, "country": "France", "plan": "Annual"}
        )

        assert external_ids(result) == ["match"]

    @pytest.mark.parametrize(
        ("label", "expected"),
        [("churned", ["c-yes"]), ("retained", ["c-no"]), ("unknown", ["c-none"]), ("", None)],
    )
    def test_filters_by_churn_label(self, label, expected):
        CustomerFactory(external_id="c-yes", churned=True)
        CustomerFactory(external_id="c-no", churned=False)
        CustomerFactory(external_id="c-none", churned=None)

        result = external_ids(selectors.customer_list(filters={"churn": label}))

        assert result == (expected or ["c-no", "c-none", "c-yes"])

    def test_empty_values_are_ignored(self):
        CustomerFactory.create_batch(3)

        filters = {"q": "", "segment": None, "country": "", "plan": "", "churn": "", "sort": ""}
        assert selectors.customer_list(filters=filters).count() == 3

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("monthly_spend", ["low", "mid-a", "mid-b", "high", "none"]),
            ("-monthly_spend", ["high", "mid-b", "mid-a", "low", "none"]),
        ],
    )
    def test_sort_puts_missing_values_last_and_breaks_ties_by_pk(self, sort, expected):
        for external_id, spend in [
            ("mid-a", "50"),
            ("none", None),
            ("high", "90"),
            ("low", "10"),
            ("mid-b", "50"),
        ]:
            CustomerFactory(
                external_id=external_id, monthly_spend=Decimal(spend) if spend else None
            )

        assert external_ids(selectors.customer_list(filters={"sort": sort})) == expected

    @pytest.mark.parametrize(
        ("sort", "field"),
        [("name", "name"), ("tenure", "tenure_months"), ("signup_date", "signup_date")],
    )
    def test_each_sort_key_orders_by_its_field(self, sort, field):
        for index, (name, tenure) in enumerate([("Cleo", 5), ("Abe", 30), ("Bea", 12)]):
            CustomerFactory(
                name=name, tenure_months=tenure, signup_date=dt.date(2024, 3 - index, 1)
            )

        ascending = [getattr(c, field) for c in selectors.customer_list(filters={"sort": sort})]
        descending = [
            getattr(c, field) for c in selectors.customer_list(filters={"sort": f"-{sort}"})
        ]

        assert ascending == sorted(ascending)
        assert descending == sorted(ascending, reverse=True)

    def test_unknown_sort_falls_back_to_external_id(self):
        for external_id in ("b", "a"):
            CustomerFactory(external_id=external_id)

        assert external_ids(selectors.customer_list(filters={"sort": "password"})) == ["a", "b"]

    def test_joins_the_segment(self, django_assert_num_queries):
        CustomerFactory.create_batch(3)

        with django_assert_num_queries(1):
            names = [customer.segment.name for customer in selectors.customer_list(filters={})]

        assert names == ["Consumer"] * 3

    def test_sort_keys_cover_both_directions(self):
        keys = selectors.customer_sort_keys()

        assert "monthly_spend" in keys
        assert "-monthly_spend" in keys
        assert len(keys) == 2 * len(selectors.CUSTOMER_SORTS)


class TestCustomerFilterOptions:
    def test_lists_segments_and_distinct_non_blank_countries_and_plans(
        self, django_assert_num_queries
    ):
        zeta = SegmentFactory(name="Zeta")
        alpha = SegmentFactory(name="alpha")
        CustomerFactory(segment=zeta, country="Spain", plan="Monthly")
        CustomerFactory(segment=zeta, country="Spain", plan="Annual")
        CustomerFactory(segment=None, country="France", plan="")
        CustomerFactory(segment=None, country="", plan="Monthly")

        with django_assert_num_queries(1):
            options = selectors.customer_filter_options()

        assert options == {
            "segments": [(str(alpha.pk), "alpha"), (str(zeta.pk), "Zeta")],
            "countries": [("France", "France"), ("Spain", "Spain")],
            "plans": [("Annual", "Annual"), ("Monthly", "Monthly")],
        }

    def test_empty_database(self):
        assert selectors.customer_filter_options() == {
            "segments": [],
            "countries": [],
            "plans": [],
        }


class TestCustomerGet:
    def test_returns_the_customer_with_its_segment(self, django_assert_num_queries):
        customer = CustomerFactory()

        with django_assert_num_queries(1):
            found = selectors.customer_get(pk=customer.pk)
            assert found.segment.name == "Consumer"

        assert found == customer

    def test_unknown_pk_raises_does_not_exist(self):
        with pytest.raises(Customer.DoesNotExist):
            selectors.customer_get(pk=987654)


class TestCustomerTimeline:
    def test_most_recent_first_paginated(self):
        customer = CustomerFactory()
        now = timezone.now()
        for hours in range(30):
            InteractionFactory(customer=customer, occurred_at=now - dt.timedelta(hours=hours))
        InteractionFactory()  # someone else's

        first = selectors.customer_timeline(customer=customer, page=1, per_page=25)
        second = selectors.customer_timeline(customer=customer, page=2, per_page=25)

        assert first.paginator.count == 30
        assert first.paginator.num_pages == 2
        times = [i.occurred_at for i in first.object_list] + [i.occurred_at for i in second]
        assert times == sorted(times, reverse=True)
        assert len(second.object_list) == 5

    def test_same_time_ties_are_broken_by_newest_pk(self):
        customer = CustomerFactory()
        moment = timezone.now()
        older = InteractionFactory(customer=customer, occurred_at=moment)
        newer = InteractionFactory(customer=customer, occurred_at=moment)

        page = selectors.customer_timeline(customer=customer, page=1, per_page=25)

        assert list(page.object_list) == [newer, older]

    @pytest.mark.parametrize(("page", "expected"), [("abc", 1), (None, 1), (0, 2), (99, 2)])
    def test_bad_page_numbers_fall_back_to_a_real_page(self, page, expected):
        customer = CustomerFactory()
        InteractionFactory.create_batch(3, customer=customer)

        result = selectors.customer_timeline(customer=customer, page=page, per_page=2)

        assert result.number == expected

    def test_loads_products_and_content_in_the_same_query(self, django_assert_num_queries):
        customer = CustomerFactory()
        InteractionFactory.create_batch(2, customer=customer)
        InteractionFactory(
            customer=customer,
            product=None,
            content_item=ContentItemFactory(),
            kind=Interaction.Kind.VIEW,
            value=None,
        )
        page = selectors.customer_timeline(customer=customer, page=1, per_page=25)

        with django_assert_num_queries(1):  # the page; get_page has counted already
            items = [
                (i.product.name if i.product else i.content_item.title) for i in page.object_list
            ]

        assert len(items) == 3


class TestCustomerActivitySummary:
    def test_totals(self, django_assert_num_queries):
        customer = CustomerFactory()
        now = timezone.now()
        kind = Interaction.Kind
        InteractionFactory(customer=customer, kind=kind.PURCHASE, value=Decimal("10.50"))
        InteractionFactory(customer=customer, kind=kind.PURCHASE, value=Decimal("4.50"))
        InteractionFactory(customer=customer, kind=kind.RETURN, value=Decimal("4.50"))
        InteractionFactory(customer=customer, kind=kind.SUPPORT_TICKET, value=None, occurred_at=now)
        InteractionFactory(customer=customer, kind=kind.VIEW, value=None)
        InteractionFactory(kind=kind.PURCHASE, value=Decimal("999"))  # someone else's

        with django_assert_num_queries(1):
            summary = selectors.customer_activity_summary(customer=customer)

        assert summary == {
            "interactions": 5,
            "purchases": 2,
            "purchase_value": Decimal("15.00"),
            "returns": 1,
            "support_tickets": 1,
            "last_activity": now,
        }

    def test_customer_without_activity(self):
        summary = selectors.customer_activity_summary(customer=CustomerFactory())

        assert summary["interactions"] == 0
        assert summary["purchases"] == 0
        assert summary["purchase_value"] == 0
        assert summary["last_activity"] is None
