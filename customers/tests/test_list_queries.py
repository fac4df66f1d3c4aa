"""The customer list with churn scores: every page variant costs a bounded number of queries,
and the shortcuts ``CustomerListQuerySet`` takes for a page give the same rows as the plain
ordered query."""

import datetime as dt
import itertools

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from customers import selectors
from customers.models import Customer
from customers.tests.factories import CustomerFactory, SegmentFactory
from growthai.roles import Role
from scoring.models import ChurnModel
from scoring.services import churn_score_create

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers:list")
# session, user, roles; filter options; count; the page: one query, or two for a deep
# page (ids, then rows), and one more when sorted by risk past the scored customers
LIST_QUERIES = 8


@pytest.fixture
def scored_customers():
    """64 customers over 4 segments: 60 scored (twice; the second score is the latest),
    4 never scored. Probabilities repeat, so ties need the primary key to break them."""
    model = ChurnModel.objects.create(version=1, as_of=timezone.now(), artifact="m.json")
    segments = [SegmentFactory(name=f"Segment {i}") for i in range(4)]
    now = timezone.now()
    customers = []
    for i in range(64):
        customer = CustomerFactory(
            external_id=f"E{i:03d}",
            name=f"Walker {i}" if i % 5 == 0 else f"Person {i}",
            segment=segments[i % 4],
        )
        customers.append(customer)
        if i >= 60:
            continue
        for age_days, probability in ((3, 0.99), (0, (i % 7) / 7)):
            churn_score_create(
                customer=customer,
                model_id=model.pk,
                probability=probability,
                risk_class="high" if probability >= 0.6 else "low",
                scored_at=now - dt.timedelta(days=age_days),
            )
    return customers


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "-churn_probability"},
        {"sort": "churn_probability"},
        {"sort": "-churn_probability", "page": "2"},
        {"risk": "high"},
        {"risk": "unscored"},
        {"risk": "low", "sort": "-churn_probability"},
        {"q": "walker"},
        {"q": "walker", "sort": "-churn_probability"},
        {"sort": "-tenure", "page": "2"},
    ],
)
@pytest.mark.parametrize("scored_first_from", [5000, 0])
def test_list_queries_are_bounded(
    client_as,
    scored_customers,
    django_assert_max_num_queries,
    monkeypatch,
    params,
    scored_first_from,
):
    monkeypatch.setattr(selectors, "SCORED_FIRST_FROM", scored_first_from)
    client = client_as(Role.MARKETER)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(LIST_URL, params)

    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert rows
    for customer in rows:  # the risk came with the row, no query per customer
        assert customer.segment.name.startswith("Segment")
        if customer.external_id < "E060":
            assert customer.churn_risk in {"high", "low"}


@pytest.mark.parametrize("scored_first_from", [5000, 0])
def test_a_deep_page_is_bounded_too(
    client_as, scored_customers, django_assert_max_num_queries, monkeypatch, scored_first_from
):
    monkeypatch.setattr(selectors, "DEEP_PAGE_OFFSET", 10)
    monkeypatch.setattr(selectors, "SCORED_FIRST_FROM", scored_first_from)
    client = client_as(Role.MARKETER)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(LIST_URL, {"sort": "-churn_probability", "page": "2"})

    assert len(response.context["page"].object_list) == 14


def test_detail_page_queries_are_bounded(
    client_as, scored_customers, django_assert_max_num_queries
):
    client = client_as(Role.MARKETER)
    customer = scored_customers[0]

    # session, user, roles; customer; summary; timeline count and page; the churn panel's
    # score history; the retention panel's open draft
    with django_assert_max_num_queries(9):
        response = client.get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200


def _reference(filters: dict) -> list[str]:
    """The list's order worked out in Python: by the sort field (missing values last), then
    by primary key in the same direction."""
    sort = filters.get("sort") or "external_id"
    descending = sort.startswith("-")
    field = selectors.CUSTOMER_SORTS[sort.removeprefix("-")]
    rows = [
        (getattr(c, field), c.pk, c.external_id)
        for c in selectors.customers_with_churn_risk(Customer.objects.all())
        if (filters.get("risk") is None or c.churn_risk == filters["risk"])
        and (filters.get("segment") is None or c.segment_id == filters["segment"])
        and (
            not filters.get("q")
            or any(
                filters["q"].lower() in value.lower() for value in (c.external_id, c.name, c.email)
            )
        )
    ]
    present = sorted((r for r in rows if r[0] is not None), reverse=descending)
    missing = sorted((r for r in rows if r[0] is None), key=lambda r: r[1], reverse=descending)
    return [r[2] for r in present + missing]


def _paged(filters: dict, per_page: int) -> list[str]:
    paginator = Paginator(selectors.customer_list(filters=filters), per_page)
    pages = (paginator.page(n).object_list for n in paginator.page_range)
    return [c.external_id for c in itertools.chain.from_iterable(pages)]


@pytest.mark.parametrize("scored_first_from", [5000, 0])
@pytest.mark.parametrize("deep_offset", [1000, 7])
@pytest.mark.parametrize("per_page", [7, 50])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"q": "walker"},
        {"risk": "high", "sort": "name"},
        {"sort": "-external_id"},
        {"sort": "-churn_probability"},
        {"sort": "churn_probability"},
        {"sort": "-churn_probability", "risk": "low"},
        {"sort": "name"},
        {"sort": "-tenure"},
    ],
)
def test_pages_give_the_rows_of_the_plain_ordering(
    scored_customers,
    monkeypatch,
    filters,
    per_page,
    deep_offset,
    scored_first_from,
):
    monkeypatch.setattr(selectors, "DEEP_PAGE_OFFSET", deep_offset)
    monkeypatch.setattr(selectors, "SCORED_FIRST_FROM", scored_first_from)

    assert _paged(filters, per_page) == _reference(filters)


@pytest.mark.parametrize("scored_first_from", [5000, 0])
def test_a_page_past_the_scored_customers_ends_with_the_unscored(
    scored_customers, monkeypatch, scored_first_from
):
    monkeypatch.setattr(selectors, "SCORED_FIRST_FROM", scored_first_from)
    queryset = selectors.customer_list(filters={"sort": "-churn_probability"})
    queryset.count()

    page = queryset[55:64]

    assert [c.external_id for c in page][-4:] == ["E063", "E062", "E061", "E060"]
    assert all(c.churn_probability is not None for c in page[:5])


def test_slices_outside_pages_behave_as_usual(scored_customers):
    queryset = selectors.customer_list(filters={"sort": "-churn_probability"})

    assert queryset[3:3] == []
    assert queryset[0].external_id == _reference({"sort": "-churn_probability"})[0]
    assert len(list(queryset[60:])) == 4
    assert queryset.count() == 64


@pytest.mark.parametrize("filters", [{}, {"sort": "-churn_probability"}, {"q": "person"}])
def test_a_deep_page_past_the_end_is_empty(scored_customers, monkeypatch, filters):
    # Once counted, a deep page after the last customer used to be read "from the end" with
    # a negative offset, which Django refuses (a 500 from the API's offset/page parameters).
    monkeypatch.setattr(selectors, "DEEP_PAGE_OFFSET", 7)
    queryset = selectors.customer_list(filters=filters)
    count = queryset.count()
    assert count > 0

    assert queryset[count : count + 5] == []
    assert queryset[count + 1000 : count + 1027] == []
    assert [c.external_id for c in queryset[count - 2 : count + 5]] == (
        _reference(filters)[count - 2 :]
    )


@pytest.mark.parametrize("risk", ["high", "low"])
def test_a_risk_only_list_is_counted_from_the_latest_scores_alone(scored_customers, risk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    expected = len(_reference({"risk": risk}))
    with CaptureQueriesContext(connection) as queries:
        assert selectors.customer_list(filters={"risk": risk}).count() == expected
    assert "customers_customer" not in queries.captured_queries[0]["sql"]
    # With any other filter it is counted over the customers, as before.
    narrower = {"risk": risk, "segment": scored_customers[0].segment_id}
    with CaptureQueriesContext(connection) as queries:
        count = selectors.customer_list(filters=narrower).count()
    assert "customers_customer" in queries.captured_queries[0]["sql"]
    assert 0 < count == len(_reference(narrower)) < expected


def test_a_further_filter_on_a_risk_only_list_counts_over_the_customers(scored_customers):
    listed = selectors.customer_list(filters={"risk": "high"})
    segment = scored_customers[0].segment_id
    narrowed = listed.filter(segment_id=segment)
    assert narrowed.count() == len(_reference({"risk": "high", "segment": segment}))
    assert narrowed.count() < listed.count()


@pytest.mark.parametrize(
    "filters", [{}, {"sort": "-tenure"}, {"sort": "churn_probability"}, {"q": "person"}]
)
def test_a_page_near_the_end_is_read_backwards_without_skipping_the_rows_before_it(
    scored_customers, monkeypatch, filters
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(selectors, "DEEP_PAGE_OFFSET", 7)
    monkeypatch.setattr(selectors, "SCORED_FIRST_FROM", 5000)
    paginator = Paginator(selectors.customer_list(filters=filters), 5)
    last = paginator.num_pages
    paginator.count  # noqa: B018 - counted first, as the list page does

    with CaptureQueriesContext(connection) as queries:
        rows = paginator.page(last - 1).object_list

    start, stop = (last - 2) * 5, (last - 1) * 5
    assert [c.external_id for c in rows] == _reference(filters)[start:stop]
    sql = [q["sql"].upper() for q in queries.captured_queries]
    # It skips the rows after the page, not the ones before it.
    assert any(f"LIMIT 5 OFFSET {paginator.count - stop}" in q for q in sql)
    assert not any(f"OFFSET {start}" in q for q in sql)
