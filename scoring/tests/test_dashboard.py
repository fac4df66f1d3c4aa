"""The executive dashboard: numbers on a fixture worked out by hand, filters, htmx, exports."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, EmailDraft
from customers.tests.factories import CustomerFactory, SegmentFactory
from growthai.roles import Role
from scoring.models import ChurnModel
from scoring.selectors_dashboard import dashboard_data
from scoring.services import churn_score_create

DAY1 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC)
URL = "/dashboard/"


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DASHBOARD_CACHE_SECONDS = 0


def _score(customer, model, probability, when):
    risk = "high" if probability >= 0.7 else "medium" if probability >= 0.3 else "low"
    return churn_score_create(
        customer=customer,
        model_id=model.pk,
        probability=probability,
        risk_class=risk,
        scored_at=when,
    )


@pytest.fixture
def world(db, admin_user):
    """Five current customers; four scored (one twice: only its latest score counts), one
    not; and one who has churned (gone), scored highest on both days, whom no figure counts.

    Latest probabilities: c1 0.9 (high), c2 0.5 (medium), c3 0.75 (high), c5 0.1 (low).
    """
    consumer, business = SegmentFactory(name="Consumer"), SegmentFactory(name="Business")
    model = ChurnModel.objects.create(
        version=3,
        status=ChurnModel.Status.ACTIVE,
        as_of=DAY1,
        artifact="churn_models/x.zip",
        metrics={"holdout": {"model": {"roc_auc": 0.8123}}, "cv": {"model": {"roc_auc": 0.7}}},
    )
    c = {
        "c1": CustomerFactory(
            segment=consumer, country="UK", plan="Monthly", monthly_spend=Decimal("100")
        ),
        "c2": CustomerFactory(
            segment=consumer, country="UK", plan="Annual", monthly_spend=Decimal("50")
        ),
        "c3": CustomerFactory(
            segment=business, country="France", plan="Monthly", monthly_spend=Decimal("200")
        ),
        "c4": CustomerFactory(
            segment=business, country="France", plan="Monthly", monthly_spend=Decimal("10")
        ),
        "c5": CustomerFactory(segment=None, country="UK", plan="Monthly", monthly_spend=20),
        "gone": CustomerFactory(
            segment=consumer,
            country="UK",
            plan="Monthly",
            monthly_spend=Decimal("300"),
            churned=True,
        ),
    }
    _score(c["gone"], model, 0.95, DAY1)
    _score(c["gone"], model, 0.99, DAY2)
    _score(c["c1"], model, 0.2, DAY1)
    _score(c["c1"], model, 0.9, DAY2)
    _score(c["c2"], model, 0.5, DAY2)
    _score(c["c3"], model, 0.75, DAY1)
    _score(c["c5"], model, 0.1, DAY2)
    campaign = Campaign.objects.create(name="Win back", created_by=admin_user)
    statuses = {"c1": "sent", "c2": "approved", "c3": "pending_review", "c4": "rejected"}
    for key, status in statuses.items():
        EmailDraft.objects.create(
            campaign=campaign,
            customer=c[key],
            status=status,
            sent_at=timezone.now() if status == "sent" else None,
        )
    EmailDraft.objects.create(campaign=campaign, customer=c["c5"], status="queued")
    return {"customers": c, "consumer": consumer, "business": business, "model": model}


def _data(world, **filters):
    names = {world["consumer"].pk: "Consumer", world["business"].pk: "Business"}
    return dashboard_data(filters=filters, segment_names=names)


def test_kpis_are_exact(world):
    data = _data(world)
    assert data["kpis"]["customers"] == 5
    assert data["kpis"]["scored"] == 4
    assert data["kpis"]["churned"] == 1
    assert data["kpis"]["at_risk"] == 2
    assert data["kpis"]["at_risk_share"] == pytest.approx(0.5)
    # 100 x 0.9 + 50 x 0.5 + 200 x 0.75 + 20 x 0.1
    assert data["kpis"]["revenue_at_risk"] == pytest.approx(267.00)
    assert data["kpis"]["predicted_churn_rate"] == pytest.approx(2.25 / 4)
    assert data["model"] == {
        "pk": world["model"].pk,
        "version": 3,
        "roc_auc": 0.8123,
        "auc_source": "holdout",
    }


def test_distribution_segments_trend_top_and_funnel(world):
    data = _data(world)
    assert [b["count"] for b in data["histogram"]] == [0, 1, 0, 0, 0, 1, 0, 1, 0, 1]
    assert data["risk_counts"] == [
        {"risk": "high", "count": 2},
        {"risk": "medium", "count": 1},
        {"risk": "low", "count": 1},
    ]
    rows = [
        (s["segment"], s["customers"], s["scored"], s["high"], s["revenue_at_risk"])
        for s in data["segments"]
    ]
    assert rows == [
        ("Business", 2, 1, 1, 150.0),
        ("Consumer", 2, 2, 1, 115.0),
        ("No segment", 1, 1, 0, 2.0),
    ]
    assert data["segments"][1]["mean_probability"] == pytest.approx(0.7)
    assert [t["day"] for t in data["trend"]] == ["2026-03-01", "2026-03-08"]
    assert [t["mean"] for t in data["trend"]] == [pytest.approx(0.475), pytest.approx(0.5)]
    top = [(r["external_id"], r["probability"]) for r in data["top_at_risk"]]
    c = world["customers"]
    assert top == [
        (c["c1"].external_id, 0.9),
        (c["c3"].external_id, 0.75),
        (c["c2"].external_id, 0.5),
        (c["c5"].external_id, 0.1),
    ]
    assert [(f["key"], f["count"]) for f in data["funnel"]] == [
        ("drafted", 4),
        ("approved", 2),
        ("sent", 1),
    ]


def test_filters_change_the_numbers(world):
    data = _data(world, segment=world["consumer"].pk)
    assert data["kpis"]["customers"] == 2
    assert data["kpis"]["at_risk"] == 1
    assert data["kpis"]["revenue_at_risk"] == pytest.approx(115.0)
    assert data["kpis"]["predicted_churn_rate"] == pytest.approx(0.7)
    assert [(f["key"], f["count"]) for f in data["funnel"]] == [
        ("drafted", 2),
        ("approved", 2),
        ("sent", 1),
    ]
    france = _data(world, country="France")
    assert (france["kpis"]["customers"], france["kpis"]["scored"]) == (2, 1)
    assert france["kpis"]["revenue_at_risk"] == pytest.approx(150.0)
    both = _data(world, country="UK", plan="Monthly")
    assert [r["probability"] for r in both["top_at_risk"]] == [0.9, 0.1]


@pytest.mark.parametrize(
    ("role", "status"), [(Role.MANAGER, 200), (Role.ADMIN, 200), (Role.MARKETER, 403)]
)
def test_roles(client_as, world, role, status):
    assert client_as(role).get(URL).status_code == status


def test_page_shows_the_figures(client_as, world):
    page = client_as(Role.MANAGER).get(URL).content.decode()
    assert "267.00" in page
    assert "50.0% of scored" in page
    assert "56.3%" in page  # predicted churn rate 0.5625
    assert "v3" in page and "0.812" in page
    assert reverse("customers:detail", args=[world["customers"]["c1"].pk]) in page
    assert 'id="dashboard-charts"' in page
    assert "Dashboard" in page  # navigation entry


def test_htmx_returns_the_partial_and_pushes_a_clean_url(client_as, world):
    client = client_as(Role.MANAGER)
    pk = world["consumer"].pk
    response = client.get(URL, {"segment": pk, "country": "", "plan": ""}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in body and 'id="dashboard-filters"' not in body
    assert response["HX-Push-Url"] == f"{URL}?segment={pk}"
    assert "HX-Request" in response["Vary"]
    assert "115.00" in body


def test_full_page_url_keeps_filters_in_the_form_and_exports(client_as, world):
    pk = world["consumer"].pk
    page = client_as(Role.MANAGER).get(URL, {"segment": pk, "country": "UK"}).content.decode()
    assert f'<option value="{pk}" selected>' in page
    assert f"?segment={pk}&amp;country=UK&amp;export=segments" in page


def test_drill_down_links_carry_the_filters(client_as, world):
    pk = world["business"].pk
    page = client_as(Role.MANAGER).get(URL, {"country": "France", "plan": "Monthly"})
    html = page.content.decode()
    assert (
        f'"/customers/?segment={pk}&amp;country=France&amp;plan=Monthly&amp;churn=current"' in html
    )
    assert (
        f'"/customers/?segment={pk}&amp;country=France&amp;plan=Monthly&amp;risk=high'
        '&amp;churn=current"' in html
    )
    assert '"/customers/?country=France&amp;plan=Monthly&amp;risk=high&amp;churn=current"' in html
    # and the customer list understands them
    listing = client_as(Role.MANAGER).get(
        "/customers/",
        {"segment": pk, "country": "France", "plan": "Monthly", "risk": "high", "churn": "current"},
    )
    assert world["customers"]["c3"].external_id in listing.content.decode()
    assert world["customers"]["c4"].external_id not in listing.content.decode()


def test_all_riskiest_first_opens_the_current_customers_sorted_by_risk(client_as, world):
    client = client_as(Role.MANAGER)
    for filters, query in [
        ({}, "churn=current&amp;sort=-churn_probability"),
        ({"country": "UK"}, "country=UK&amp;churn=current&amp;sort=-churn_probability"),
    ]:
        page = client.get(URL, filters).content.decode()
        assert f'href="/customers/?{query}">All, riskiest first</a>' in page
    listing = client.get("/customers/", {"churn": "current", "sort": "-churn_probability"})
    html = listing.content.decode()
    c = world["customers"]
    order = [c[key].external_id for key in ("c1", "c3", "c2", "c5")]
    assert sorted(order, key=html.index) == order
    assert c["gone"].external_id not in html


def test_a_risk_bar_lists_the_customers_it_counts_and_not_those_who_churned(client_as, world):
    client = client_as(Role.MANAGER)
    page = client.get(URL).content.decode()
    assert "1 who churned not counted" in page
    gone = world["customers"]["gone"].external_id
    assert gone not in page  # not among the top customers at risk either

    high = next(r for r in _data(world)["risk_counts"] if r["risk"] == "high")
    assert high["count"] == 2
    listing = client.get("/customers/", {"risk": "high", "churn": "current"}).content.decode()
    shown = {c.external_id for c in world["customers"].values() if c.external_id in listing}
    assert shown == {world["customers"]["c1"].external_id, world["customers"]["c3"].external_id}
    # Without the label filter the list still has everyone, the churned customer too.
    assert gone in client.get("/customers/", {"risk": "high"}).content.decode()


def _csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_exports(client_as, world):
    client = client_as(Role.MANAGER)
    segments = _csv_rows(client.get(URL, {"export": "segments"}))
    assert segments[0][0] == "segment"
    assert segments[1] == ["Business", "2", "1", "1", "1.0000", "0.7500", "150.00"]
    top = _csv_rows(client.get(URL, {"export": "top", "segment": world["consumer"].pk}))
    assert [row[0] for row in top[1:]] == [
        world["customers"]["c1"].external_id,
        world["customers"]["c2"].external_id,
    ]
    assert top[1][-1] == "90.00"
    funnel = _csv_rows(client.get(URL, {"export": "funnel"}))
    assert funnel[1:] == [
        ["Drafted", "4", "1.0000"],
        ["Approved", "2", "0.5000"],
        ["Sent", "1", "0.2500"],
    ]


def test_invalid_filters_show_a_message_not_an_error(client_as, world):
    response = client_as(Role.MANAGER).get(
        URL, {"segment": "nope", "country": "Atlantis", "plan": "Monthly"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Some filters were not understood" in html
    assert "Atlantis" in html
    # the valid filter still applies: c1, c3, c4, c5 are on Monthly
    assert client_as(Role.MANAGER).get(URL, {"segment": "999999"}).status_code == 200


def test_empty_state_without_scores(client_as, db):
    CustomerFactory()
    html = client_as(Role.MANAGER).get(URL).content.decode()
    assert "No churn scores yet" in html
    assert reverse("scoring:model_list") in html
    assert "No retention emails drafted" in html


def test_empty_state_when_filters_match_no_scores(client_as, world):
    html = client_as(Role.MANAGER).get(URL, {"segment": world["business"].pk, "plan": "Annual"})
    assert "No scored customers match these filters" in html.content.decode()


def test_query_count_does_not_grow_with_data(client_as, world, django_assert_max_num_queries):
    client = client_as(Role.MANAGER)
    client.get(URL)  # warm the session
    with django_assert_max_num_queries(12):
        client.get(URL)
    model = world["model"]
    for i in range(40):
        customer = CustomerFactory(segment=SegmentFactory(name=f"Extra {i % 7}"))
        _score(customer, model, (i % 10) / 10, DAY1 + dt.timedelta(days=i % 5))
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.context["data"]["kpis"]["customers"] == 45
    with django_assert_max_num_queries(12):
        client.get(URL, {"export": "segments"})


def test_cache_serves_repeat_views_and_sees_new_scores(settings, world, monkeypatch):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the dashboard caches on PostgreSQL only")
    settings.DASHBOARD_CACHE_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    first = _data(world)
    with CaptureQueriesContext(connection) as queries:
        assert _data(world) == first
    assert len(queries) == 1  # the stamp only
    _score(world["customers"]["c4"], world["model"], 0.95, DAY2)
    # While another request recomputes (it holds the lock), the previous figures are served.
    with monkeypatch.context() as patch:
        patch.setattr(cache, "add", lambda *args, **kwargs: False)
        assert _data(world)["kpis"]["at_risk"] == 2
    assert _data(world)["kpis"]["at_risk"] == 3
