"""The JSON API: tokens, roles, the customer endpoints, bad input and the OpenAPI schema."""

import json

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from campaigns.models import Campaign, EmailDraft
from customers.models import CUSTOMER_COUNT_TABLE, Customer
from customers.tests.factories import CustomerFactory, SegmentFactory, UserFactory
from customers.tests.test_customer_count import COUNTS_CUSTOMERS, on_postgresql
from growthai.admin import ApiTokenAdmin
from growthai.models import ApiToken
from growthai.roles import ALL_ROLES, Role
from growthai.tokens import api_token_create, api_token_revoke, token_hash
from scoring.models import ChurnModel
from scoring.services import churn_score_create

MARKETER, MANAGER, ADMIN = Role.MARKETER, Role.MANAGER, Role.ADMIN
EVERYONE = set(ALL_ROLES)


@pytest.fixture
def api_client(client, make_user):
    """A client sending a fresh token of a user holding ``role`` (None: no role)."""

    def for_role(role, **user_kwargs):
        user = make_user(role, username=f"api-{role or 'nobody'}".lower(), **user_kwargs)
        _, raw = api_token_create(user=user, name="tests")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return for_role


def post_json(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- tokens ---------------------------------------------------------------------------


def test_token_lifecycle(client, make_user):
    user = make_user(MANAGER, username="lifecycle")
    token, raw = api_token_create(user=user, name="CRM sync")
    assert raw.startswith("gai_") and len(raw) > 40
    assert token.key_hash == token_hash(raw) and raw not in token.key_hash
    assert token.prefix == raw[:8]
    assert not ApiToken.objects.filter(key_hash=raw).exists()  # only the hash is stored

    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/customers", **headers).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert api_token_revoke(token_id=token.pk) == 1
    response = client.get("/api/customers", **headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert api_token_revoke(token_id=token.pk) == 0


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Token abc", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500],
)
def test_missing_or_unknown_token_is_401(client, db, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/customers", **headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_inactive_user_token_is_401(client, make_user):
    user = make_user(ADMIN, username="gone", is_active=False)
    _, raw = api_token_create(user=user, name="old")
    assert client.get("/api/customers", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_session_login_does_not_open_the_api(client_as):
    assert client_as(ADMIN).get("/api/customers").status_code == 401


def test_admin_creates_a_token_and_shows_it_once(client, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    owner = UserFactory(username="owner", role=MARKETER)
    response = client.post(
        "/admin/growthai/apitoken/add/", {"user": owner.pk, "name": "Zapier"}, follow=True
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Zapier")
    page = response.content.decode()
    raw = page.split("The new API token is ", 1)[1].split(" ", 1)[0]
    assert token_hash(raw) == token.key_hash and token.user == owner
    # The change page never shows it again.
    change = client.get(f"/admin/growthai/apitoken/{token.pk}/change/").content.decode()
    assert raw not in change and token.prefix in change
    # Revoke action.
    client.post(
        "/admin/growthai/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/customers", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_token_admin_is_registered():
    assert isinstance(site._registry[ApiToken], ApiTokenAdmin)


# --- role x endpoint matrix -----------------------------------------------------------


@pytest.fixture
def objects(db, admin_user):
    customer = CustomerFactory()
    campaign = Campaign.objects.create(name="API matrix", created_by=admin_user)
    draft = EmailDraft.objects.create(
        campaign=campaign, customer=customer, status=EmailDraft.Status.PENDING_REVIEW
    )
    return {"customer": customer, "campaign": campaign, "draft": draft}


# (method, url builder, body, roles allowed)
API_MATRIX = [
    ("get", lambda o: "/api/customers", None, EVERYONE),
    ("get", lambda o: f"/api/customers/{o['customer'].pk}", None, EVERYONE),
    ("post", lambda o: "/api/predict/churn", {}, EVERYONE),
    ("post", lambda o: "/api/recommend", {"customer_id": 0}, EVERYONE),
    ("post", lambda o: "/api/campaigns/generate", {"customer_ids": [0]}, {MARKETER, ADMIN}),
    ("get", lambda o: f"/api/drafts/{o['draft'].pk}", None, EVERYONE),
]
MATRIX_IDS = ["customers", "customer", "predict", "recommend", "generate", "draft"]


@pytest.mark.parametrize("role", [*Role, None], ids=lambda r: str(r or "no-role"))
@pytest.mark.parametrize(("method", "url", "body", "allowed"), API_MATRIX, ids=MATRIX_IDS)
def test_api_role_matrix(api_client, objects, role, method, url, body, allowed):
    client = api_client(role)
    if method == "post":
        response = post_json(client, url(objects), body)
    else:
        response = client.get(url(objects))
    if role in allowed:
        assert response.status_code not in (401, 403, 500), response.content
    else:
        assert response.status_code == 403
        assert "roles" in response.json()["detail"]


@pytest.mark.parametrize(("method", "url", "body", "allowed"), API_MATRIX, ids=MATRIX_IDS)
def test_api_needs_a_token(client, objects, method, url, body, allowed):
    if method == "post":
        response = post_json(client, url(objects), body)
    else:
        response = client.get(url(objects))
    assert response.status_code == 401


def test_superuser_holds_every_role(api_client, objects):
    client = api_client(None, is_superuser=True)
    response = post_json(client, "/api/campaigns/generate", {"customer_ids": [0]})
    assert response.status_code == 422  # past the role check, stopped by the unknown id


def test_health_is_public(client, db):
    response = client.get("/api/health")
    assert response.status_code in (200, 503)
    body = response.json()
    assert set(body) == {"status", "database", "broker"}
    assert body["database"]["ok"] is True


def test_every_api_endpoint_declares_its_roles():
    """The URLconf walk of test_roles skips the ``api`` namespace; this is its twin."""
    from growthai.api import BearerToken, api
    from growthai.tests.test_roles import _our_url_patterns

    assert not [name for name, _ in _our_url_patterns() if name.startswith("api:")]
    declared = {}
    for _, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    auth = [a for a in operation.auth_callbacks if isinstance(a, BearerToken)]
                    declared[(method, path)] = auth[0].allowed_roles if auth else "public"
    assert declared == {
        ("GET", "/health"): "public",
        ("GET", "/customers"): EVERYONE,
        ("GET", "/customers/{ref}"): EVERYONE,
        ("POST", "/predict/churn"): EVERYONE,
        ("POST", "/recommend"): EVERYONE,
        ("POST", "/campaigns/generate"): {MARKETER, ADMIN},
        ("GET", "/drafts/{int:draft_id}"): EVERYONE,
    }


# --- customers ------------------------------------------------------------------------


@pytest.fixture
def shop(db):
    consumer = SegmentFactory(name="Consumer")
    business = SegmentFactory(name="Business")
    rows = []
    for i in range(30):
        rows.append(
            CustomerFactory(
                external_id=f"K{i:03d}",
                name=f"Kim {i:03d}",
                segment=business if i % 3 == 0 else consumer,
                country="France" if i % 2 else "Spain",
                plan="Annual" if i < 10 else "Monthly",
            )
        )
    model = ChurnModel.objects.create(
        version=1, as_of=timezone.now(), artifact="churn_models/none.zip"
    )
    for i, customer in enumerate(rows[:6]):
        churn_score_create(
            customer=customer,
            model_id=model.pk,
            probability=0.9 if i < 2 else 0.1,
            risk_class="high" if i < 2 else "low",
            drivers=[{"text": "Month-to-month contract", "direction": "raises"}],
            scored_at=timezone.now(),
        )
    return {"customers": rows, "business": business}


def test_customer_list_paginates(api_client, shop):
    client = api_client(MANAGER)
    page = client.get("/api/customers?limit=10").json()
    assert page["count"] == 30 and page["pages"] == 3 and page["page"] == 1
    assert [c["external_id"] for c in page["items"]] == [f"K{i:03d}" for i in range(10)]
    second = client.get("/api/customers?limit=10&page=2").json()
    assert second["offset"] == 10 and second["items"][0]["external_id"] == "K010"
    by_offset = client.get("/api/customers?limit=10&offset=25").json()
    assert [c["external_id"] for c in by_offset["items"]] == [f"K{i:03d}" for i in range(25, 30)]
    past = client.get("/api/customers?page=9").json()
    assert past["items"] == [] and past["count"] == 30


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("offset=5000", 30),
        ("page=404523001&limit=27&sort=churn_probability", 30),
        (f"offset={10**19}&risk=low", 4),
    ],
)
def test_a_deep_page_past_the_end_is_empty(api_client, shop, query, count):
    response = api_client(MANAGER).get(f"/api/customers?{query}")
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["items"] == [] and page["count"] == count


@on_postgresql
def test_unfiltered_customer_list_counts_from_the_kept_rows(
    api_client, shop, django_assert_max_num_queries
):
    client = api_client(MANAGER)
    Customer.objects.filter(external_id="K029").delete()

    with django_assert_max_num_queries(10) as queries:
        page = client.get("/api/customers?limit=10&page=3").json()

    assert page["count"] == 29 and [c["external_id"] for c in page["items"]][-1] == "K028"
    sql = [q["sql"] for q in queries.captured_queries]
    assert any(CUSTOMER_COUNT_TABLE in s for s in sql)
    assert not any(COUNTS_CUSTOMERS in s for s in sql)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=K01", {f"K01{i}" for i in range(10)}),
        ("country=France&plan=Annual", {f"K00{i}" for i in (1, 3, 5, 7, 9)}),
        ("segment=Business&plan=Annual", {"K000", "K003", "K006", "K009"}),
        ("risk=high", {"K000", "K001"}),
        ("risk=low", {"K002", "K003", "K004", "K005"}),
        ("risk=unscored&q=K00", {f"K00{i}" for i in range(6, 10)}),
        ("country=Nowhere", set()),
    ],
)
def test_customer_filters(api_client, shop, query, expected):
    page = api_client(MARKETER).get(f"/api/customers?limit=100&{query}").json()
    assert {c["external_id"] for c in page["items"]} == expected
    assert page["count"] == len(expected)


def test_segment_filter_by_id(api_client, shop):
    page = api_client(ADMIN).get(f"/api/customers?limit=100&segment={shop['business'].pk}")
    assert page.json()["count"] == 10


def test_customer_sort(api_client, shop):
    page = api_client(ADMIN).get("/api/customers?sort=-churn_probability&limit=3").json()
    assert [c["churn_risk"] for c in page["items"]] == ["high", "high", "low"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("risk=extreme", "risk"),
        ("segment=Nope", "segment"),
        ("segment=" + "9" * 30, "segment"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("page=0", "page"),
        ("sort=colour", "sort"),
        ("colour=red", "colour"),
    ],
)
def test_bad_customer_filters_are_422(api_client, shop, query, field):
    response = api_client(MARKETER).get(f"/api/customers?{query}")
    assert response.status_code == 422, response.content
    locs = [error["loc"] for error in response.json()["detail"]]
    assert any(loc[-1] == field for loc in locs), locs


def test_customer_detail_by_pk_and_external_id(api_client, shop):
    client = api_client(MANAGER)
    customer = shop["customers"][0]
    by_pk = client.get(f"/api/customers/{customer.pk}").json()
    by_ext = client.get("/api/customers/K000").json()
    assert by_pk == by_ext
    assert by_pk["external_id"] == "K000" and by_pk["segment"] == "Business"
    assert by_pk["churn"]["risk_class"] == "high" and by_pk["churn"]["model_version"] == 1
    assert by_pk["churn"]["drivers"][0]["text"] == "Month-to-month contract"
    assert by_pk["attributes"] == {} and by_pk["email_opt_out"] is False
    unscored = client.get("/api/customers/K020").json()
    assert unscored["churn"] is None


def test_numeric_external_id(api_client, db):
    numeric = CustomerFactory(external_id="7590")
    client = api_client(MANAGER)
    assert client.get("/api/customers/7590").json()["id"] == numeric.pk
    response = client.get(f"/api/customers/{numeric.pk}?by=external_id")
    assert response.status_code == (200 if str(numeric.pk) == "7590" else 404)
    assert client.get("/api/customers/7590?by=pk").status_code in (200, 404)


@pytest.mark.parametrize("ref", ["999999", "NOPE", "%20", "9" * 30])
def test_unknown_customer_is_404(api_client, db, ref):
    response = api_client(MANAGER).get(f"/api/customers/{ref}")
    assert response.status_code == 404
    assert "No customer" in response.json()["detail"]


# --- bad input on every POST endpoint -------------------------------------------------

POST_ENDPOINTS = ["/api/predict/churn", "/api/recommend", "/api/campaigns/generate"]
WRONG_BODIES = [
    [],
    "text",
    42,
    None,
    {"customer_ids": "all", "campaign_id": "x"},
    {"customer_id": {"a": 1}, "n": "many", "kinds": "product"},
    {"tenure": "long", "monthly_charges": [], "senior_citizen": "maybe"},
    {"unexpected": True},
]


@pytest.mark.parametrize("url", POST_ENDPOINTS)
@pytest.mark.parametrize(
    "raw", ["{", "{'single': 'quotes'}", "not json", "[1, 2", '{"a": 1,}', "\x00\xff"]
)
def test_malformed_json_is_400(api_client, db, url, raw):
    response = api_client(ADMIN).post(url, data=raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "parse" in response.json()["detail"]


@pytest.mark.parametrize("url", POST_ENDPOINTS)
@pytest.mark.parametrize("body", WRONG_BODIES, ids=range(len(WRONG_BODIES)))
def test_wrong_types_are_422_with_field_errors(api_client, db, url, body):
    response = post_json(api_client(ADMIN), url, body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all({"loc", "msg", "type"} <= set(error) for error in detail)


@pytest.mark.parametrize("url", POST_ENDPOINTS)
def test_empty_body_and_form_body_are_4xx(api_client, db, url):
    client = api_client(ADMIN)
    assert client.post(url, content_type="application/json").status_code == 422
    assert client.post(url, data={"a": "b"}).status_code in (400, 415, 422)


@pytest.mark.parametrize(
    ("method", "url", "body", "loc"),
    [
        ("get", "/api/customers?q=a%00b", None, ["query", "q"]),
        ("get", "/api/customers?country=%00&plan=Plus", None, ["query", "country"]),
        ("get", "/api/customers/K%00", None, ["path"]),
        ("post", "/api/recommend", {"customer_id": "\x91\x00"}, ["body", "customer_id"]),
        ("post", "/api/predict/churn", {"contract": ["x", "y\x00"]}, ["body", "contract", 1]),
        ("post", "/api/campaigns/generate", {"a\x00": 1}, ["body", "a\x00"]),
    ],
)
def test_nul_characters_are_422_naming_the_field(api_client, shop, method, url, body, loc):
    # PostgreSQL text cannot hold NUL: such a value used to fail inside the driver, a 500.
    client = api_client(ADMIN)
    response = client.get(url) if method == "get" else post_json(client, url, body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [
        {"loc": loc, "msg": "Text may not contain NUL (\\u0000) characters.", "type": "string_nul"}
    ]


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [("utf-8", "text/plain"), ("utf-16", "application/json"), ("utf-32", "application/json")],
)
def test_nul_in_any_json_body_is_422(api_client, shop, encoding, content_type):
    # The endpoints parse any non-form body as JSON, in any of the encodings json.loads
    # detects, so the check does too.
    body = json.dumps({"customer_id": "K\x00"}).encode(encoding)
    response = api_client(ADMIN).post("/api/recommend", data=body, content_type=content_type)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "customer_id"]


def test_a_bad_request_under_the_api_answers_json_400(rf):
    from growthai.views import error_400

    response = error_400(rf.get("/api/customers"))
    assert response.status_code == 400 and json.loads(response.content) == {
        "detail": "Bad request."
    }
    page = error_400(rf.get("/customers/"))
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")


def test_nul_check_leaves_the_site_and_plain_text_alone(api_client, shop, admin_client):
    assert api_client(ADMIN).get("/api/customers?q=K00%5Cu0000").status_code == 200
    assert admin_client.get("/customers/?q=%00").status_code == 200


@pytest.mark.parametrize("url", ["/api/predict/churn", "/api/customers"])
def test_wrong_method_is_405(api_client, db, url):
    client = api_client(ADMIN)
    response = client.put(url) if url.endswith("customers") else client.get(url)
    assert response.status_code == 405


@pytest.mark.parametrize(
    "path",
    ["/api/nothing-here", "/api/drafts/abc", "/api/drafts/null,null", "/api/drafts/" + "9" * 30],
)
def test_unknown_api_path_is_a_json_404(api_client, db, path):
    response = api_client(ADMIN).get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert list(response.json()) == ["detail"]


def test_pages_outside_the_api_keep_the_html_404(admin_client):
    response = admin_client.get("/customers/nothing-here/")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_a_failing_api_endpoint_answers_json_500(rf):
    from growthai.views import error_500

    response = error_500(rf.get("/api/customers"))
    assert response.status_code == 500
    assert "logged" in json.loads(response.content)["detail"]
    page = error_500(rf.get("/customers/"))
    assert page.status_code == 500 and b"Something went wrong" in page.content


# --- OpenAPI ---------------------------------------------------------------------------


def test_openapi_lists_every_endpoint(client, db):
    schema = client.get("/api/openapi.json").json()
    paths = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert paths == {
        ("/api/health", "get"),
        ("/api/customers", "get"),
        ("/api/customers/{ref}", "get"),
        ("/api/predict/churn", "post"),
        ("/api/recommend", "post"),
        ("/api/campaigns/generate", "post"),
        ("/api/drafts/{draft_id}", "get"),
    }
    # Endpoints with a JSON body document the 400 they give when it is not JSON.
    for path in ("/api/predict/churn", "/api/recommend", "/api/campaigns/generate"):
        assert "400" in schema["paths"][path]["post"]["responses"], path
    assert "400" not in schema["paths"]["/api/customers"]["get"]["responses"]
    assert "BearerToken" in schema["components"]["securitySchemes"]
    assert "security" not in schema["paths"]["/api/health"]["get"]
    assert client.get("/api/docs").status_code == 200


def test_customer_model_is_unchanged_by_reads(api_client, shop):
    before = Customer.objects.count()
    api_client(ADMIN).get("/api/customers")
    assert Customer.objects.count() == before


def test_token_posts_need_no_csrf_token(make_user, db):
    from django.test import Client

    user = make_user(MARKETER, username="csrf")
    _, raw = api_token_create(user=user, name="script")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = post_json(client, "/api/recommend", {"customer_id": "NOPE"})
    assert response.status_code == 404  # reached the endpoint: no CSRF 403


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    body = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "https://" not in body and "http://" not in body
