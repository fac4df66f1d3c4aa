import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import (
    ContentItemFactory,
    CustomerFactory,
    InteractionFactory,
    SegmentFactory,
)
from customers.views import humanize_key
from growthai.roles import Role

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers:list")
HTMX = {"HX-Request": "true", "HX-Target": "results", "HX-Current-URL": "http://testserver/"}


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def listed_ids(response) -> list[str]:
    """External IDs of the rows of the customer table, in order."""
    return re.findall(r'<td class="mono"><a href="/customers/\d+/">([^<]+)</a>', response.text)


@pytest.fixture
def marketer_client(client_as):
    return client_as(Role.MARKETER)


class TestAccess:
    @pytest.mark.parametrize("role", list(Role))
    def test_every_role_opens_list_and_detail(self, client_as, role):
        customer = CustomerFactory()
        client = client_as(role)

        assert client.get(LIST_URL).status_code == 200
        assert client.get(detail_url(customer)).status_code == 200

    def test_anonymous_is_sent_to_login(self, client):
        customer = CustomerFactory()

        for url in (LIST_URL, detail_url(customer)):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    def test_user_without_role_is_refused(self, client_as):
        assert client_as(None).get(LIST_URL).status_code == 403


class TestCustomerList:
    def test_shows_customers_with_count_segment_and_label(self, marketer_client):
        CustomerFactory(external_id="A-1", name="Ada", churned=True)
        CustomerFactory(external_id="B-2", name="Bob", churned=None)

        response = marketer_client.get(LIST_URL)

        assert listed_ids(response) == ["A-1", "B-2"]
        assert "<strong>2</strong> customers" in response.text
        assert "Churned</span>" in response.text
        assert "Unknown</span>" in response.text
        assert "Consumer" in response.text

    def test_search(self, marketer_client):
        CustomerFactory(external_id="A-1", name="Ada Lovelace")
        CustomerFactory(external_id="B-2", name="Bob Marley", email="bob@reggae.example")

        assert listed_ids(marketer_client.get(LIST_URL, {"q": "lovelace"})) == ["A-1"]
        assert listed_ids(marketer_client.get(LIST_URL, {"q": "reggae"})) == ["B-2"]
        assert listed_ids(marketer_client.get(LIST_URL, {"q": "b-2"})) == ["B-2"]

    def test_filters(self, marketer_client):
        business = SegmentFactory(name="Business")
        CustomerFactory(external_id="A-1", country="France", plan="Annual", churned=True)
        CustomerFactory(external_id="B-2", country="Spain", plan="Monthly", segment=business)
        CustomerFactory(external_id="C-3", country="Spain", plan="Annual", churned=None)

        def ids(**params):
            return listed_ids(marketer_client.get(LIST_URL, params))

        assert ids(country="Spain") == ["B-2", "C-3"]
        assert ids(plan="Annual") == ["A-1", "C-3"]
        assert ids(segment=business.pk) == ["B-2"]
        assert ids(churn="churned") == ["A-1"]
        assert ids(churn="retained") == ["B-2"]
        assert ids(churn="unknown") == ["C-3"]
        assert ids(country="Spain", plan="Annual") == ["C-3"]

    def test_filter_options_come_from_the_database(self, marketer_client):
        SegmentFactory(name="Enterprise")
        CustomerFactory(country="Portugal", plan="Two year")

        html = marketer_client.get(LIST_URL).text

        assert '<option value="Portugal">Portugal</option>' in html
        assert '<option value="Two year">Two year</option>' in html
        assert ">Enterprise</option>" in html

    def test_sort(self, marketer_client):
        CustomerFactory(external_id="A-1", monthly_spend=Decimal("20"))
        CustomerFactory(external_id="B-2", monthly_spend=Decimal("90"))
        CustomerFactory(external_id="C-3", monthly_spend=Decimal("50"))

        ascending = marketer_client.get(LIST_URL, {"sort": "monthly_spend"})
        descending = marketer_client.get(LIST_URL, {"sort": "-monthly_spend"})

        assert listed_ids(ascending) == ["A-1", "C-3", "B-2"]
        assert listed_ids(descending) == ["B-2", "C-3", "A-1"]
        # The active column says so and links to the other direction.
        assert 'aria-sort="descending"' in descending.text
        assert 'href="?sort=monthly_spend"' in descending.text

    def test_sort_links_keep_filters_and_drop_the_page(self, marketer_client):
        CustomerFactory.create_batch(3, country="Spain")

        html = marketer_client.get(LIST_URL, {"country": "Spain", "page": "1"}).text

        assert 'href="?country=Spain&amp;sort=name"' in html

    def test_pagination(self, marketer_client):
        for number in range(120):
            CustomerFactory(external_id=f"X{number:03d}", country="Spain")

        first = marketer_client.get(LIST_URL, {"country": "Spain"})
        third = marketer_client.get(LIST_URL, {"country": "Spain", "page": 3})

        assert listed_ids(first) == [f"X{n:03d}" for n in range(50)]
        assert listed_ids(third) == [f"X{n:03d}" for n in range(100, 120)]
        assert "Page 1 of 3" in first.text
        # Pagination links are real links that keep the filters, with htmx on top.
        assert 'href="?country=Spain&amp;page=2" hx-get="?country=Spain&amp;page=2"' in first.text

    @pytest.mark.parametrize("page", ["3", "1" * 40])
    def test_page_past_the_end_shows_the_last_page(self, marketer_client, page):
        CustomerFactory.create_batch(55)

        response = marketer_client.get(LIST_URL, {"page": page})

        assert response.status_code == 200
        assert len(listed_ids(response)) == 5

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "bogus", "page": "abc", "segment": "999999"},
            {"segment": "not-a-number", "country": "Atlantis", "churn": "maybe"},
            {"page": "-1"},
            {"q": "x" * 500},
        ],
    )
    def test_invalid_parameters_are_reported_and_ignored(self, marketer_client, params):
        CustomerFactory(external_id="A-1")

        response = marketer_client.get(LIST_URL, params)

        assert response.status_code == 200
        assert "have been ignored" in response.text
        if "q" not in params:
            assert listed_ids(response) == ["A-1"]

    def test_invalid_value_names_the_field(self, marketer_client):
        response = marketer_client.get(LIST_URL, {"sort": "bogus", "segment": "999999"})

        assert "Segment: Select a valid choice." in response.text
        assert "Sort: Select a valid choice." in response.text

    def test_htmx_request_gets_only_the_results(self, marketer_client):
        CustomerFactory(external_id="A-1", country="Spain")
        CustomerFactory(external_id="B-2", country="France")

        response = marketer_client.get(
            LIST_URL, {"q": "", "country": "Spain", "plan": "", "sort": ""}, headers=HTMX
        )

        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'id="customer-filters"' not in response.text
        assert response.text.lstrip().startswith('<section id="results"')
        assert listed_ids(response) == ["A-1"]
        # The address bar gets the parameters that matter, not every empty field.
        assert response.headers["HX-Push-Url"] == f"{LIST_URL}?country=Spain"
        assert "HX-Request" in response.headers["Vary"]

    def test_htmx_history_restore_gets_the_full_page(self, marketer_client):
        headers = {**HTMX, "HX-History-Restore-Request": "true"}

        response = marketer_client.get(LIST_URL, headers=headers)

        assert "<html" in response.text

    def test_full_page_has_htmx_wiring_with_plain_fallbacks(self, marketer_client):
        CustomerFactory()

        html = marketer_client.get(LIST_URL).text

        assert 'method="get" action="/customers/"' in html
        assert 'hx-get="/customers/"' in html
        assert 'hx-target="#results"' in html
        assert 'hx-push-url="true"' in html
        assert "delay:" in html
        # The sort order lives in the swapped results but belongs to the filter form.
        assert 'name="sort" value="" form="customer-filters"' in html
        assert "{#" not in html
        assert "{%" not in html

    def test_empty_result_offers_to_clear_filters(self, marketer_client):
        CustomerFactory(country="Spain")

        html = marketer_client.get(LIST_URL, {"q": "nobody-by-that-name"}).text

        assert "No customers match these filters" in html
        assert f'href="{LIST_URL}">Clear all filters' in html

    def test_no_customers_at_all_points_admins_to_imports(self, client_as):
        admin_html = client_as(Role.ADMIN).get(LIST_URL).text

        assert "No customers yet" in admin_html
        assert reverse("customers:import_list") in admin_html

    def test_no_customers_at_all_for_other_roles(self, client_as):
        html = client_as(Role.MANAGER).get(LIST_URL, {"q": "anything"}).text

        assert "No customers yet" in html
        assert "An administrator needs to import" in html
        assert f'href="{reverse("customers:import_list")}"' not in html

    @pytest.mark.parametrize("headers", [{}, HTMX])
    def test_query_count_does_not_grow_with_rows(
        self, marketer_client, django_assert_max_num_queries, headers
    ):
        for number in range(60):
            CustomerFactory(segment=SegmentFactory(name=f"Segment {number % 7}"))

        # session, user, roles; filter options; count; page of rows
        with django_assert_max_num_queries(6):
            response = marketer_client.get(LIST_URL, {"sort": "-tenure"}, headers=headers)

        assert len(listed_ids(response)) == 50

    def test_rows_are_read_without_the_json_attributes(
        self, marketer_client, django_assert_max_num_queries
    ):
        CustomerFactory(attributes={"Contract": "Month-to-month"})

        with django_assert_max_num_queries(6) as queries:
            response = marketer_client.get(LIST_URL)

        row_queries = [q["sql"] for q in queries.captured_queries if '"external_id"' in q["sql"]]
        assert len(listed_ids(response)) == 1
        assert row_queries
        assert all('"attributes"' not in sql for sql in row_queries)


class TestCustomerDetail:
    def test_shows_profile_attributes_and_summary(self, marketer_client):
        customer = CustomerFactory(
            external_id="EXT-9",
            name="Ada Lovelace",
            email="ada@example.com",
            country="United Kingdom",
            region="London",
            plan="Annual",
            churned=True,
            churned_at=dt.date(2025, 2, 3),
            email_opt_out=True,
            attributes={"PaymentMethod": "Electronic check", "streaming_tv": True, "addons": []},
        )
        InteractionFactory(customer=customer, kind=Interaction.Kind.PURCHASE, value=Decimal("30"))
        InteractionFactory(
            customer=customer, kind=Interaction.Kind.SUPPORT_TICKET, product=None, value=None
        )

        html = marketer_client.get(detail_url(customer)).text

        for text in ("Ada Lovelace", "EXT-9", "ada@example.com", "London", "Annual"):
            assert text in html
        assert "Churned on 3 Feb 2025" in html
        assert "Opted out of email" in html
        assert '<th scope="row">Payment method</th><td>Electronic check</td>' in html
        assert '<th scope="row">Streaming tv</th><td>Yes</td>' in html
        assert '<th scope="row">Addons</th><td>—</td>' in html
        assert "30.00" in html  # purchase value
        assert "Support ticket" in html

    def test_leaves_no_placeholder_text_for_later_panels(self, marketer_client):
        html = marketer_client.get(detail_url(CustomerFactory())).text

        assert "churn score panel" not in html
        assert "{#" not in html
        assert "No activity recorded" in html

    def test_unknown_customer_is_a_404_page(self, marketer_client):
        response = marketer_client.get(reverse("customers:detail", args=[987654]))

        assert response.status_code == 404
        assert "Page not found" in response.text

    def test_timeline_shows_items_most_recent_first(self, marketer_client):
        customer = CustomerFactory()
        now = timezone.now()
        InteractionFactory(
            customer=customer, product__name="Old kettle", occurred_at=now - dt.timedelta(days=9)
        )
        InteractionFactory(
            customer=customer,
            product=None,
            content_item=ContentItemFactory(title="Descaling guide"),
            kind=Interaction.Kind.VIEW,
            value=None,
            occurred_at=now - dt.timedelta(days=1),
        )

        html = marketer_client.get(detail_url(customer)).text

        assert html.index("Descaling guide") < html.index("Old kettle")
        assert "badge kind-view" in html
        assert "Quantity 1" in html

    def test_timeline_pagination_through_htmx(self, marketer_client):
        customer = CustomerFactory()
        now = timezone.now()
        for number in range(30):
            InteractionFactory(
                customer=customer,
                product__name=f"Item {number:02d}",
                occurred_at=now - dt.timedelta(hours=number),
            )

        first = marketer_client.get(detail_url(customer))
        second = marketer_client.get(detail_url(customer), {"page": 2}, headers=HTMX)

        assert "Item 24" in first.text
        assert "Item 25" not in first.text
        assert 'href="?page=2" hx-get="?page=2"' in first.text
        assert second.status_code == 200
        assert "<html" not in second.text
        assert second.text.lstrip().startswith('<div id="timeline"')
        assert "Item 25" in second.text
        assert "Item 29" in second.text
        assert "Item 24" not in second.text

    def test_bad_timeline_page_shows_a_real_page(self, marketer_client):
        customer = CustomerFactory()
        InteractionFactory(customer=customer)

        for page in ("abc", "0", "99"):
            response = marketer_client.get(detail_url(customer), {"page": page})
            assert response.status_code == 200

    def test_query_count_does_not_grow_with_interactions(
        self, marketer_client, django_assert_max_num_queries
    ):
        customer = CustomerFactory()
        for _ in range(30):
            InteractionFactory(customer=customer)
            InteractionFactory(
                customer=customer,
                product=None,
                content_item=ContentItemFactory(),
                kind=Interaction.Kind.EMAIL_CLICK,
            )

        # session, user, roles; customer; summary; timeline count; timeline page; the churn
        # panel's score history; the retention panel's open draft
        with django_assert_max_num_queries(9):
            marketer_client.get(detail_url(customer))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("payment_method", "Payment method"),
        ("PaymentMethod", "Payment method"),
        ("paymentMethod", "Payment method"),
        ("payment-method", "Payment method"),
        ("StreamingTV", "Streaming TV"),
        ("SeniorCitizen", "Senior citizen"),
        ("customerID", "Customer ID"),
        ("ARPU", "ARPU"),
        ("nps_score_2024", "Nps score 2024"),
        ("_", "_"),
    ],
)
def test_humanize_key(key, expected):
    assert humanize_key(key) == expected


class TestChurnRiskInTheList:
    """The list shows each customer's latest churn score, filters on its risk class and sorts
    by probability (scores come from the scoring app)."""

    @pytest.fixture
    def scored(self, db):
        from django.utils import timezone

        from scoring.models import ChurnModel
        from scoring.services import churn_score_create

        model = ChurnModel.objects.create(version=1, as_of=timezone.now(), artifact="m.json")
        now = timezone.now()

        def score(customer, probability, risk, age_days=0):
            churn_score_create(
                customer=customer,
                model_id=model.pk,
                probability=probability,
                risk_class=risk,
                scored_at=now - dt.timedelta(days=age_days),
            )

        high = CustomerFactory(name="High Risk")
        low = CustomerFactory(name="Low Risk")
        unscored = CustomerFactory(name="Never Scored")
        score(high, 0.2, "low", age_days=7)  # an older score the list must ignore
        score(high, 0.91, "high")
        score(low, 0.07, "low")
        return high, low, unscored

    def _names(self, response):
        return [customer.name for customer in response.context["page"].object_list]

    def test_filter_by_latest_risk_class(self, client_as, scored):
        client = client_as(Role.MANAGER)
        assert self._names(client.get(reverse("customers:list"), {"risk": "high"})) == ["High Risk"]
        assert self._names(client.get(reverse("customers:list"), {"risk": "low"})) == ["Low Risk"]
        unscored = client.get(reverse("customers:list"), {"risk": "unscored"})
        assert self._names(unscored) == ["Never Scored"]

    def test_sort_by_probability_puts_unscored_last(self, client_as, scored):
        client = client_as(Role.MARKETER)
        ranked = client.get(reverse("customers:list"), {"sort": "-churn_probability"})
        assert self._names(ranked) == ["High Risk", "Low Risk", "Never Scored"]
        assert b"91%" in ranked.content or b"91.0%" in ranked.content

    def test_unknown_risk_value_is_reported_not_fatal(self, client_as, scored):
        response = client_as(Role.MARKETER).get(reverse("customers:list"), {"risk": "extreme"})
        assert response.status_code == 200
        assert len(self._names(response)) == 3
