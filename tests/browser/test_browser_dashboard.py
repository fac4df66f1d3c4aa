"""A Manager watches churn risk: the executive dashboard, narrowed with a filter, and the
customer list ranked by risk."""

import re
from decimal import Decimal

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory, SegmentFactory, UserFactory
from growthai.roles import Role
from scoring.services import churn_score_create
from scoring.tests.factories import ChurnModelFactory

pytestmark = pytest.mark.browser


def dashboard_url() -> str | None:
    try:
        url = reverse("dashboard")
        get_template("dashboard/dashboard.html")
    except (NoReverseMatch, TemplateDoesNotExist):
        return None
    return url


@pytest.fixture
def scored_customers(site):
    model = ChurnModelFactory()
    consumer = SegmentFactory(name="Consumer")
    business = SegmentFactory(name="Business")
    rows = [(consumer, 0.9, "high")] * 4 + [(consumer, 0.2, "low")] * 2
    rows += [(business, 0.7, "high"), (business, 0.4, "medium"), (business, 0.1, "low")]
    for segment, probability, risk in rows:
        customer = CustomerFactory(segment=segment, monthly_spend=Decimal("50.00"))
        churn_score_create(
            customer=customer,
            model_id=model.pk,
            probability=probability,
            risk_class=risk,
            drivers=[],
            scored_at=timezone.now(),
        )
    return {"consumer": consumer, "business": business}


def kpi(page, label: str) -> str:
    box = page.locator("#dashboard-body .kpi").filter(has=page.locator(".label", has_text=label))
    return box.locator(".value").first.inner_text().strip()


def test_manager_filters_the_dashboard_and_the_numbers_change(site, page, snap, scored_customers):
    url = dashboard_url()
    if url is None:
        pytest.skip("dashboard not built yet")
    manager = UserFactory(username="manager-b", role=Role.MANAGER)
    site.sign_in(page, manager.username)
    nav = page.locator("nav.mainnav")
    assert nav.get_by_role("link", name="Dashboard", exact=True).count() == 1
    with page.expect_navigation():
        nav.get_by_role("link", name="Dashboard", exact=True).click()
    assert page.url.endswith(url)
    snap("dashboard-all")
    assert kpi(page, "Customers") == "9"
    assert kpi(page, "At risk") == "5"
    marker = site.set_marker(page)

    business = scored_customers["business"]
    with page.expect_response(lambda r: f"segment={business.pk}" in r.url):
        page.select_option("#dashboard-filters select[name=segment]", str(business.pk))
    page.wait_for_function(
        "() => document.querySelector('#dashboard-body')?.dataset.query?.includes('segment=')"
    )
    snap("dashboard-business")
    assert kpi(page, "Customers") == "3"
    assert kpi(page, "At risk") == "1"
    assert site.marker(page) == marker, "changing the filter reloaded the page"
    assert f"segment={business.pk}" in page.url  # pushed, so the view can be shared
    assert page.js_errors == []


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_churn_columns_of_the_customer_list_are_in_view_without_scrolling(
    site, page, snap, scored_customers, width
):
    """The table is wider than a laptop screen: the columns that give way are the ones a
    Manager needs least (country, sign-up date), never the churn risk."""
    manager = UserFactory(username=f"manager-{width}", role=Role.MANAGER)
    site.sign_in(page, manager.username)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site(reverse("customers:list")) + "?sort=-churn_probability")
    snap(f"customers-{width}")

    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => e.scrollWidth - e.clientWidth") <= 0
    headers = page.locator("table.customer-table thead th")
    visible = [h.inner_text().strip().lower() for h in headers.all() if h.is_visible()]
    assert visible[:4] == ["external id", "name", "churn risk▼", "label"]
    risk_header = headers.filter(has_text=re.compile("churn risk", re.I))
    box = risk_header.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    first_row = page.locator("table.customer-table tbody tr").first
    assert re.search(r"90%\s*High", first_row.inner_text())
    hidden_on_laptops = {"country", "signed up"}
    if width >= 1480:
        assert hidden_on_laptops <= set(visible)
    else:
        assert not hidden_on_laptops & set(visible)
    assert page.js_errors == []
