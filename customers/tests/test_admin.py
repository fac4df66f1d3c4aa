import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import admin_utils
from customers.admin_utils import EstimatedCountPaginator, csv_cell
from customers.models import ContentItem, Customer, ImportJob, Interaction, Product, Segment
from customers.tests.factories import (
    ContentItemFactory,
    CustomerFactory,
    InteractionFactory,
    ProductFactory,
    SegmentFactory,
)
from growthai.roles import Role

pytestmark = pytest.mark.django_db

MODELS = [Segment, Customer, Product, ContentItem, Interaction, ImportJob]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:customers_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def one_of_each(admin_user):
    interaction = InteractionFactory()
    return {
        Segment: interaction.customer.segment,
        Customer: interaction.customer,
        Product: interaction.product,
        ContentItem: ContentItemFactory(),
        Interaction: interaction,
        ImportJob: ImportJob.objects.create(
            kind="customers",
            file="imports/2025/01/customers.csv",
            original_name="customers.csv",
            created_by=admin_user,
        ),
    }


def export(client, model, objects) -> list[list[str]]:
    response = client.post(
        admin_url(model, "changelist"),
        {"action": "export_as_csv", "_selected_action": [obj.pk for obj in objects]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


class TestPagesLoad:
    @pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
    def test_changelist_and_change_page(self, staff_client, one_of_each, model):
        obj = one_of_each[model]

        changelist = staff_client.get(admin_url(model, "changelist"))
        change = staff_client.get(admin_url(model, "change", obj.pk))

        assert changelist.status_code == 200
        assert change.status_code == 200
        assert "Export selected" in changelist.text

    @pytest.mark.parametrize("model", MODELS[:-1], ids=lambda m: m.__name__)
    def test_add_page(self, staff_client, model):
        assert staff_client.get(admin_url(model, "add")).status_code == 200

    def test_admin_index_lists_every_model(self, staff_client):
        html = staff_client.get(reverse("admin:index")).text

        for model in MODELS:
            assert admin_url(model, "changelist") in html

    def test_customer_change_page_links_to_the_customer_page(self, staff_client):
        customer = CustomerFactory()

        html = staff_client.get(admin_url(Customer, "change", customer.pk)).text

        assert reverse("customers:detail", args=[customer.pk]) in html

    @pytest.mark.parametrize("role", [Role.MANAGER, Role.MARKETER])
    def test_roles_without_staff_status_are_kept_out(self, client_as, role):
        response = client_as(role).get(admin_url(Customer, "changelist"))

        assert response.status_code == 302
        assert reverse("admin:login") in response.url


class TestListFilters:
    def test_customer_country_and_plan_filters(self, staff_client):
        CustomerFactory(external_id="ES-ANNUAL", country="Spain", plan="Annual")
        CustomerFactory(external_id="ES-MONTHLY", country="Spain", plan="Monthly")
        CustomerFactory(external_id="FR-ANNUAL", country="France", plan="Annual")
        url = admin_url(Customer, "changelist")

        html = staff_client.get(url, {"country": "Spain", "plan": "Annual"}).text

        assert "ES-ANNUAL" in html
        assert "ES-MONTHLY" not in html
        assert "FR-ANNUAL" not in html
        assert "?country=France" in staff_client.get(url).text

    def test_segment_changelist_counts_customers(self, staff_client):
        busy = SegmentFactory(name="Busy")
        SegmentFactory(name="Empty")
        CustomerFactory.create_batch(3, segment=busy)

        response = staff_client.get(admin_url(Segment, "changelist"), {"o": "-2"})

        counts = re.findall(r'<td class="field-customer_count">(\d+)</td>', response.text)
        assert counts == ["3", "0"]


class TestImportJobAdmin:
    def test_read_only_except_deletion(self, staff_client, one_of_each):
        job = one_of_each[ImportJob]

        assert staff_client.get(admin_url(ImportJob, "add")).status_code == 403
        change = staff_client.get(admin_url(ImportJob, "change", job.pk))
        assert 'name="_save"' not in change.text
        response = staff_client.post(
            admin_url(ImportJob, "change", job.pk), {"original_name": "renamed.csv"}
        )
        assert response.status_code == 403
        job.refresh_from_db()
        assert job.original_name == "customers.csv"

        response = staff_client.post(admin_url(ImportJob, "delete", job.pk), {"post": "yes"})

        assert response.status_code == 302
        assert not ImportJob.objects.filter(pk=job.pk).exists()


class TestSearch:
    def test_customer_search(self, staff_client):
        CustomerFactory(external_id="FIND-ME", name="Ada Lovelace")
        CustomerFactory(external_id="OTHER", name="Bob")

        html = staff_client.get(admin_url(Customer, "changelist"), {"q": "lovelace"}).text

        assert "FIND-ME" in html
        assert "OTHER" not in html

    @pytest.mark.parametrize(
        ("model", "factory", "field", "term"),
        [
            (Segment, SegmentFactory, "name", "Wholesale"),
            (Product, ProductFactory, "sku", "SKU-LOOK"),
            (ContentItem, ContentItemFactory, "title", "Descaling your kettle"),
        ],
        ids=["segment", "product", "content"],
    )
    def test_search_finds_by_field(self, staff_client, model, factory, field, term):
        factory(**{field: term})
        factory(**{field: "Something else entirely"})

        html = staff_client.get(admin_url(model, "changelist"), {"q": term.lower()}).text

        assert term in html
        assert "Something else entirely" not in html

    def test_interaction_search_by_exact_customer_external_id(self, staff_client):
        wanted = InteractionFactory(customer__external_id="CUST-1", product__name="Wanted")
        InteractionFactory(customer__external_id="CUST-10", product__name="Unwanted")

        html = staff_client.get(admin_url(Interaction, "changelist"), {"q": "CUST-1"}).text

        assert admin_url(Interaction, "change", wanted.pk) in html
        assert "Unwanted" not in html

    def test_import_job_search(self, staff_client):
        for name in ("telco.csv", "orders.csv"):
            ImportJob.objects.create(kind="customers", file=f"imports/{name}", original_name=name)

        html = staff_client.get(admin_url(ImportJob, "changelist"), {"q": "telco"}).text

        assert "telco.csv" in html
        assert "orders.csv" not in html


class TestCsvExport:
    def test_exports_selected_customers(self, staff_client):
        first = CustomerFactory(external_id="A-1", name="Ada", monthly_spend=Decimal("12.50"))
        second = CustomerFactory(external_id="B-2", attributes={"Contract": "One year"})
        CustomerFactory(external_id="NOT-SELECTED")

        rows = export(staff_client, Customer, [second, first])

        header, *data = rows
        assert header[:4] == ["ID", "Created at", "Updated at", "External id"]
        assert "Segment ID" in header
        assert [row[header.index("External id")] for row in data] == ["A-1", "B-2"]
        assert data[0][header.index("Monthly spend")] == "12.50"
        assert data[1][header.index("Attributes")] == '{"Contract": "One year"}'
        assert data[0][header.index("Segment ID")] == str(first.segment_id)

    @pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
    def test_every_model_exports(self, staff_client, one_of_each, model):
        rows = export(staff_client, model, [one_of_each[model]])

        assert len(rows) == 2
        assert rows[1][0] == str(one_of_each[model].pk)

    def test_spreadsheet_formulas_are_defused(self, staff_client):
        customer = CustomerFactory(name='=HYPERLINK("http://evil")')

        rows = export(staff_client, Customer, [customer])

        assert rows[1][rows[0].index("Name")] == '\'=HYPERLINK("http://evil")'

    def test_export_runs_a_bounded_number_of_queries(self, staff_client):
        interactions = InteractionFactory.create_batch(30)
        selected = {"_selected_action": [i.pk for i in interactions], "action": "export_as_csv"}

        with CaptureQueriesContext(connection) as queries:
            response = staff_client.post(admin_url(Interaction, "changelist"), selected)
            body = b"".join(response.streaming_content)

        assert body.count(b"\n") == 31
        assert len(queries) <= 8

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, ""),
            (True, "True"),
            (Decimal("-5.20"), "-5.20"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            (["a", "b"], '["a", "b"]'),
            ("plain", "plain"),
        ],
    )
    def test_csv_cell(self, value, expected):
        assert csv_cell(value) == expected


def counts_whole_table(sql: str, table: str) -> bool:
    """A COUNT over ``table`` that neither filters nor stops at a LIMIT."""
    return bool(
        re.search(r"COUNT\(", sql, re.IGNORECASE)
        and table in sql
        and not re.search(r"\b(WHERE|LIMIT)\b", sql, re.IGNORECASE)
    )


class TestInteractionChangelistAtScale:
    @pytest.mark.parametrize("params", [{}, {"_facets": "1"}])
    def test_does_not_count_the_whole_table(self, staff_client, params):
        InteractionFactory.create_batch(3)

        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(admin_url(Interaction, "changelist"), params)

        assert response.status_code == 200
        table = Interaction._meta.db_table
        offending = [q["sql"] for q in queries if counts_whole_table(q["sql"], table)]
        assert offending == []

    def test_filtered_changelist_does_not_count_the_whole_table(self, staff_client):
        InteractionFactory.create_batch(3, kind=Interaction.Kind.VIEW)

        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(
                admin_url(Interaction, "changelist"),
                {"kind__exact": "view", "occurred_at__gte": "2000-01-01T00:00:00+00:00"},
            )

        assert response.status_code == 200
        table = Interaction._meta.db_table
        assert [q["sql"] for q in queries if counts_whole_table(q["sql"], table)] == []
        assert "3 interactions" in response.text

    def test_query_count_does_not_grow_with_rows(self, staff_client):
        customer = CustomerFactory()
        InteractionFactory.create_batch(40, customer=customer)
        InteractionFactory.create_batch(
            10, customer=customer, product=None, content_item=ContentItemFactory()
        )

        with CaptureQueriesContext(connection) as queries:
            staff_client.get(admin_url(Interaction, "changelist"))

        assert len(queries) <= 8

    def test_pages_beyond_the_first(self, staff_client):
        InteractionFactory.create_batch(105)

        response = staff_client.get(admin_url(Interaction, "changelist"), {"p": 2})

        assert response.status_code == 200
        assert response.text.count('name="_selected_action"') == 5


class TestEstimatedCountPaginator:
    def test_counts_exactly_below_the_limit(self):
        InteractionFactory.create_batch(7)

        paginator = EstimatedCountPaginator(Interaction.objects.all(), 5)

        assert paginator.count == 7
        assert paginator.num_pages == 2

    def test_stops_counting_at_the_limit(self, monkeypatch):
        monkeypatch.setattr(EstimatedCountPaginator, "count_limit", 4)
        InteractionFactory.create_batch(6)

        paginator = EstimatedCountPaginator(Interaction.objects.filter(quantity=1), 2)

        assert paginator.count == 4
        assert len(paginator.page(2).object_list) == 2

    def test_unfiltered_large_table_uses_the_estimate(self, monkeypatch):
        calls = []

        def estimate(model, *, using):
            calls.append(model)
            return 5_000_000

        monkeypatch.setattr(admin_utils, "table_row_estimate", estimate)

        assert EstimatedCountPaginator(Interaction.objects.all(), 100).count == 5_000_000
        assert calls == [Interaction]

    def test_filtered_queryset_never_uses_the_estimate(self, monkeypatch):
        monkeypatch.setattr(admin_utils, "table_row_estimate", lambda model, using: 5_000_000)
        InteractionFactory(kind=Interaction.Kind.VIEW)

        paginator = EstimatedCountPaginator(Interaction.objects.filter(kind="view"), 100)

        assert paginator.count == 1

    def test_small_estimate_falls_back_to_counting(self, monkeypatch):
        monkeypatch.setattr(admin_utils, "table_row_estimate", lambda model, using: 3)
        InteractionFactory.create_batch(2)

        assert EstimatedCountPaginator(Interaction.objects.all(), 100).count == 2

    def test_table_row_estimate(self):
        estimate = admin_utils.table_row_estimate(Interaction)

        if connection.vendor == "postgresql":
            # A fresh test table may not have been analysed yet (-1 becomes None).
            assert estimate is None or estimate >= 0
        else:
            assert estimate is None


class TestAutocomplete:
    @pytest.mark.parametrize(
        ("model_name", "field_name", "factory", "kwargs", "term"),
        [
            ("interaction", "customer", CustomerFactory, {"external_id": "AUTO-77"}, "auto-7"),
            ("interaction", "product", ProductFactory, {"name": "Auto kettle"}, "kettle"),
            ("interaction", "content_item", ContentItemFactory, {"title": "Auto guide"}, "guide"),
            ("customer", "segment", SegmentFactory, {"name": "Autoscale"}, "autoscale"),
        ],
    )
    def test_autocomplete_finds_related_rows(
        self, staff_client, model_name, field_name, factory, kwargs, term
    ):
        wanted = factory(**kwargs)

        response = staff_client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "customers",
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
            },
        )

        assert response.status_code == 200
        assert [result["id"] for result in response.json()["results"]] == [str(wanted.pk)]

    def test_change_form_uses_autocomplete_widgets(self, staff_client):
        html = staff_client.get(admin_url(Interaction, "add")).text

        for field in ("customer", "product", "content_item"):
            assert re.search(rf'<select name="{field}"[^>]*admin-autocomplete', html)
