"""Who may open what: a role-by-URL-by-method matrix, and a walk over the whole URLconf."""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from campaigns.models import Campaign, EmailDraft
from customers.models import ImportJob
from customers.tests.factories import ContentItemFactory, CustomerFactory, ProductFactory
from growthai.roles import ALL_ROLES, Role
from scoring.models import ChurnModel

MARKETER, MANAGER, ADMIN = Role.MARKETER, Role.MANAGER, Role.ADMIN
EVERYONE = set(ALL_ROLES)

# (url name, args builder, method, roles allowed). Every view of ours appears here; the
# URLconf walk below fails when a new view is added without an entry.
MATRIX = [
    ("home", None, "get", EVERYONE),
    ("dashboard", None, "get", {ADMIN, MANAGER}),
    ("customers:list", None, "get", EVERYONE),
    ("customers:detail", "customer", "get", EVERYONE),
    ("customers:import_list", None, "get", {ADMIN}),
    ("customers:import_create", None, "post", {ADMIN}),
    ("customers:import_detail", "import_job", "get", {ADMIN}),
    ("customers:product_list", None, "get", EVERYONE),
    ("customers:product_detail", "product", "get", EVERYONE),
    ("customers:content_list", None, "get", EVERYONE),
    ("customers:content_detail", "content_item", "get", EVERYONE),
    ("recommendations:customer", "customer", "get", EVERYONE),
    ("scoring:model_list", None, "get", {ADMIN, MANAGER}),
    ("scoring:model_detail", "churn_model", "get", {ADMIN, MANAGER}),
    ("scoring:model_train", None, "post", {ADMIN}),
    ("scoring:model_promote", "churn_model", "post", {ADMIN}),
    ("scoring:model_rollback", None, "post", {ADMIN}),
    ("scoring:customers_score", None, "post", {ADMIN}),
    ("campaigns:campaign_list", None, "get", EVERYONE),
    ("campaigns:campaign_create", None, "get", {MARKETER, ADMIN}),
    ("campaigns:recipient_preview", None, "get", {MARKETER, ADMIN}),
    ("campaigns:campaign_detail", "campaign", "get", EVERYONE),
    ("campaigns:campaign_start", "campaign", "post", {MARKETER, ADMIN}),
    ("campaigns:campaign_send", "campaign", "post", {MARKETER, ADMIN}),
    ("campaigns:review_queue", None, "get", EVERYONE),
    ("campaigns:review_bulk_approve", None, "post", {MARKETER, ADMIN}),
    ("campaigns:draft_detail", "draft", "get", EVERYONE),
    ("campaigns:draft_edit", "draft", "get", {MARKETER, ADMIN}),
    ("campaigns:draft_approve", "draft", "post", {MARKETER, ADMIN}),
    ("campaigns:draft_reject", "draft", "post", {MARKETER, ADMIN}),
    ("campaigns:draft_regenerate", "draft", "post", {MARKETER, ADMIN}),
    ("campaigns:draft_send", "draft", "post", {MARKETER, ADMIN}),
    ("campaigns:customer_retention", "customer", "get", EVERYONE),
    ("campaigns:customer_draft", "customer", "post", {MARKETER, ADMIN}),
]
PUBLIC_URLS = {"favicon", "healthz", "login", "logout", "no_role"}


@pytest.fixture
def objects(db, admin_user):
    customer = CustomerFactory()
    campaign = Campaign.objects.create(name="Matrix campaign", created_by=admin_user)
    return {
        "customer": customer,
        "product": ProductFactory(),
        "content_item": ContentItemFactory(),
        "campaign": campaign,
        "draft": EmailDraft.objects.create(
            campaign=campaign, customer=customer, status=EmailDraft.Status.PENDING_REVIEW
        ),
        "import_job": ImportJob.objects.create(
            kind="products", original_name="p.csv", file="imports/p.csv", created_by=admin_user
        ),
        "churn_model": ChurnModel.objects.create(
            version=1, as_of=timezone.now(), artifact="churn_models/missing.zip"
        ),
    }


def _url(name, arg_key, objects):
    return reverse(name, args=[objects[arg_key].pk] if arg_key else [])


@pytest.mark.parametrize("role", [*Role, None], ids=lambda r: str(r or "no-role"))
@pytest.mark.parametrize(
    ("name", "arg_key", "method", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_role_matrix(client_as, objects, role, name, arg_key, method, allowed):
    client = client_as(role)
    response = getattr(client, method)(_url(name, arg_key, objects))
    if role in allowed:
        assert response.status_code not in (403, 500), response.status_code
        assert "/accounts/login/" not in response.get("Location", "")
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "arg_key", "method", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_anonymous_is_sent_to_login(client, objects, name, arg_key, method, allowed):
    response = getattr(client, method)(_url(name, arg_key, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


POST_ROWS = [row for row in MATRIX if row[2] == "post"]


@pytest.mark.parametrize(
    ("name", "arg_key", "method", "allowed"), POST_ROWS, ids=[m[0] for m in POST_ROWS]
)
def test_post_only_views_refuse_get(client_as, objects, name, arg_key, method, allowed):
    response = client_as(Role.ADMIN).get(_url(name, arg_key, objects))
    assert response.status_code == 405


def _our_url_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin has its own staff-only gate
            if entry.namespace == "api":
                continue  # the JSON API's token and role checks: growthai/tests/test_api.py
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _our_url_patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def undeclared_views(patterns) -> list[str]:
    return [name for name, callback in patterns if not hasattr(callback, "allowed_roles")]


def test_every_view_declares_its_roles():
    assert undeclared_views(_our_url_patterns()) == []


def test_walk_catches_a_view_without_roles():
    def naked_view(request):
        return None

    assert undeclared_views([("naked", naked_view)]) == ["naked"]


def test_matrix_covers_every_non_public_view():
    declared = {name for name, _ in _our_url_patterns()} - PUBLIC_URLS
    assert declared == {row[0] for row in MATRIX}


def test_public_views_are_exactly_the_expected_ones():
    public = {name for name, cb in _our_url_patterns() if cb.allowed_roles == "public"}
    assert public == PUBLIC_URLS


def _row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


@pytest.mark.parametrize(
    ("name", "arg_key", "method", "allowed"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_get_changes_no_state(client_as, objects, name, arg_key, method, allowed):
    client = client_as(Role.ADMIN)
    before = _row_counts()
    response = client.get(_url(name, arg_key, objects))
    assert response.status_code != 500
    assert _row_counts() == before


def test_navigation_shows_only_what_the_role_may_open(client_as):
    page = client_as(Role.MARKETER).get(reverse("customers:list"), follow=True).content.decode()
    assert reverse("customers:import_list") not in page
    assert reverse("admin:index") not in page
    page = client_as(Role.ADMIN).get(reverse("customers:list"), follow=True).content.decode()
    assert reverse("customers:import_list") in page
    assert reverse("admin:index") in page


@pytest.mark.parametrize("role", [Role.MARKETER, Role.MANAGER])
def test_only_admins_reach_the_django_admin(client_as, role):
    response = client_as(role).get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_role_reaches_the_django_admin(client_as):
    assert client_as(Role.ADMIN).get(reverse("admin:index")).status_code == 200


def test_user_without_role_is_told_so(client_as):
    response = client_as(None).get(reverse("no_role"))
    assert response.status_code == 403
    assert b"has no role yet" in response.content


def test_only_the_most_specific_navigation_entry_is_active(client_as):
    page = client_as(Role.MARKETER).get(reverse("customers:product_list")).content.decode()
    active = re.findall(r'<a href="([^"]+)" aria-current="page"', page)
    assert active == [reverse("customers:product_list")]
