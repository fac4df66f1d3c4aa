"""The JSON API's prediction, recommendation and campaign endpoints, end to end."""

import json

import pytest

from campaigns.models import Campaign, EmailDraft
from customers.models import Interaction
from customers.tests.factories import CustomerFactory, InteractionFactory, ProductFactory
from growthai.roles import Role
from growthai.tokens import api_token_create
from scoring.tests import conftest as scoring_fixtures

# The scoring tests' fast, deterministic trained model (and the customers it learns from).
customers = scoring_fixtures.customers
fast_training = scoring_fixtures.fast_training
trained_model = scoring_fixtures.trained_model

TELCO = {
    "gender": "Female",
    "senior_citizen": 0,
    "partner": "Yes",
    "dependents": "No",
    "tenure": 2,
    "phone_service": "Yes",
    "multiple_lines": "Yes",
    "internet_service": "Fiber optic",
    "online_security": "No",
    "online_backup": "Yes",
    "device_protection": "No",
    "tech_support": "No",
    "streaming_tv": "Yes",
    "streaming_movies": "No",
    "contract": "Month-to-month",
    "paperless_billing": "Yes",
    "payment_method": "Electronic check",
    "monthly_charges": 89.9,
}


@pytest.fixture
def api(client, make_user):
    def for_role(role=Role.ADMIN):
        user = make_user(role, username=f"ep-{role}".lower())
        _, raw = api_token_create(user=user, name="tests")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        client.api_user = user
        return client

    return for_role


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- predict --------------------------------------------------------------------------


def test_predict_churn(api, trained_model):
    response = post(api(Role.MANAGER), "/api/predict/churn", TELCO)
    assert response.status_code == 200, response.content
    body = response.json()
    assert 0 <= body["probability"] <= 1
    assert body["risk_class"] in {"high", "medium", "low"}
    assert body["model_version"] == trained_model.version
    assert body["drivers"] and {"text", "direction"} <= set(body["drivers"][0])
    assert body["offer"] is None


def test_predict_matches_the_cli(api, trained_model):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    flags = []
    for flag, value in TELCO.items():
        flags += [f"--{flag}", *str(value).split()]
    call_command("predict_churn", *flags, "--json", stdout=out)
    cli = json.loads(out.getvalue())
    body = post(api(), "/api/predict/churn", TELCO).json()
    assert body["probability"] == cli["probability"]
    assert body["drivers"] == cli["drivers"]


def test_predict_with_offer_and_case_insensitive_values(api, trained_model):
    data = {**TELCO, "contract": "month-to-month", "include_offer": True, "name": "Ada Byron"}
    body = post(api(Role.MARKETER), "/api/predict/churn", data).json()
    offer = body["offer"]
    assert offer["headline"] and offer["kind"]
    assert offer["message"].startswith("Ada, ")
    assert offer["risk_class"] == body["risk_class"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contract": "Decade"}, "contract"),
        ({"payment_method": "Bitcoin"}, "payment_method"),
        ({"senior_citizen": 2}, "senior_citizen"),
        ({"tenure": -1}, "tenure"),
        ({"tenure": 1.5}, "tenure"),
        ({"monthly_charges": "lots"}, "monthly_charges"),
        ({"total_charges": -5}, "total_charges"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"contract": None}, "contract"),
    ],
)
def test_predict_rejects_bad_fields(api, trained_model, change, field):
    response = post(api(), "/api/predict/churn", {**TELCO, **change})
    assert response.status_code == 422, response.content
    locs = [error["loc"][-1] for error in response.json()["detail"]]
    assert field in locs


def test_predict_lists_every_missing_field(api, db):
    response = post(api(), "/api/predict/churn", {"gender": "Female"})
    assert response.status_code == 422
    missing = {error["loc"][-1] for error in response.json()["detail"]}
    assert {"contract", "tenure", "monthly_charges"} <= missing
    assert "total_charges" not in missing


def test_predict_without_a_model_is_503(api, db):
    response = post(api(), "/api/predict/churn", TELCO)
    assert response.status_code == 503
    assert "No churn model" in response.json()["detail"]


# --- recommend ------------------------------------------------------------------------


@pytest.fixture
def buyer(db):
    customer = CustomerFactory()
    others = [CustomerFactory() for _ in range(3)]
    products = [ProductFactory(name=f"Trail shoe {i}") for i in range(4)]
    for other in others:
        for product in products[:3]:
            InteractionFactory(customer=other, product=product, kind=Interaction.Kind.PURCHASE)
    InteractionFactory(customer=customer, product=products[0], kind=Interaction.Kind.PURCHASE)
    return customer


def test_recommend(api, buyer):
    response = post(api(Role.MANAGER), "/api/recommend", {"customer_id": buyer.pk, "n": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer_id"] == buyer.pk and body["external_id"] == buyer.external_id
    assert isinstance(body["products"], list) and isinstance(body["content"], list)
    assert len(body["products"]) <= 3
    for item in body["products"]:
        assert item["kind"] == "product" and item["reason"] and item["reason_code"]
    if not body["content"]:
        assert body["messages"]["content"]


def test_recommend_by_external_id_and_one_kind(api, buyer):
    body = post(
        api(), "/api/recommend", {"customer_id": buyer.external_id, "kinds": ["product"]}
    ).json()
    assert body["customer_id"] == buyer.pk and body["content"] is None


@pytest.mark.parametrize("ref", [999999, "NOPE", 10**30, "9" * 30])
def test_recommend_unknown_customer_is_404(api, db, ref):
    response = post(api(), "/api/recommend", {"customer_id": ref})
    assert response.status_code == 404
    assert "No customer" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [{"customer_id": 1, "n": 0}, {"customer_id": 1, "kinds": ["podcast"]}, {"n": 3}]
)
def test_recommend_bad_input_is_422(api, db, body):
    assert post(api(), "/api/recommend", body).status_code == 422


# --- campaigns ------------------------------------------------------------------------


def test_generate_for_customers_and_follow_a_draft(api):
    client = api(Role.MARKETER)
    first, second = CustomerFactory(), CustomerFactory()
    opted_out = CustomerFactory(email_opt_out=True)
    response = post(
        client, "/api/campaigns/generate", {"customer_ids": [first.pk, second.pk, opted_out.pk]}
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert len(body["draft_ids"]) == 2
    assert body["skipped"] == [
        {"customer_id": opted_out.pk, "reason": body["skipped"][0]["reason"]}
    ]
    assert "opted out" in body["skipped"][0]["reason"]
    draft = EmailDraft.objects.get(pk=body["draft_ids"][0])
    assert draft.customer == first and draft.status == EmailDraft.Status.QUEUED

    status = client.get(f"/api/drafts/{draft.pk}")
    assert status.status_code == 200
    assert status.json()["status"] == "queued" and status.json()["customer_id"] == first.pk

    # Asking again returns the draft already on its way.
    again = post(client, "/api/campaigns/generate", {"customer_ids": [first.pk]}).json()
    assert again["draft_ids"] == [draft.pk]


def test_generate_for_a_campaign(api):
    client = api(Role.ADMIN)
    CustomerFactory.create_batch(3)
    campaign = Campaign.objects.create(name="Everyone", created_by=client.api_user)
    response = post(client, "/api/campaigns/generate", {"campaign_id": campaign.pk})
    assert response.status_code == 202, response.content
    ids = response.json()["draft_ids"]
    assert len(ids) == 3
    assert set(EmailDraft.objects.filter(campaign=campaign).values_list("pk", flat=True)) == set(
        ids
    )
    again = post(client, "/api/campaigns/generate", {"campaign_id": campaign.pk})
    assert again.status_code == 409
    assert "already started" in again.json()["detail"]


def test_generate_into_a_campaign_for_customers(api):
    client = api(Role.MARKETER)
    customer = CustomerFactory()
    campaign = Campaign.objects.create(name="Hand-picked", created_by=client.api_user)
    body = post(
        client,
        "/api/campaigns/generate",
        {"customer_ids": [customer.pk], "campaign_id": campaign.pk},
    ).json()
    assert EmailDraft.objects.get(pk=body["draft_ids"][0]).campaign == campaign


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"customer_ids": []}, 422),
        ({"customer_ids": [999999]}, 422),
        ({"campaign_id": 999999}, 404),
        ({"customer_ids": list(range(1, 200))}, 422),
        ({"customer_ids": [1], "extra": 1}, 422),
        ({"customer_ids": [10**30]}, 422),
        ({"customer_ids": [-1]}, 422),
        ({"campaign_id": 10**30}, 422),
    ],
)
def test_generate_bad_input(api, db, body, status):
    response = post(api(), "/api/campaigns/generate", body)
    assert response.status_code == status, response.content
    assert response.json()["detail"]


def test_unknown_draft_is_404(api, db):
    response = api(Role.MANAGER).get("/api/drafts/999999")
    assert response.status_code == 404
    assert "No draft" in response.json()["detail"]
