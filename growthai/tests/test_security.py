"""Login throttling, session handling, CSRF (htmx included) and the error page."""

import json
import re

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path, reverse

from conftest import PASSWORD
from growthai.roles import Role, role_required


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failed_logins_are_locked_out(make_user):
    make_user(Role.MARKETER, username="mallory-target")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "mallory-target", "wrong password")
        assert response.status_code == 200  # the form again, with an error
        assert b"Please enter a correct username and password" in response.content
    response = _login(client, "mallory-target", "wrong password")
    assert response.status_code == 429
    # Locked out: even the right password is refused for the cool-off period.
    response = _login(client, "mallory-target", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_login_works_and_rotates_the_session_key(make_user):
    make_user(Role.MARKETER, username="rotating")
    client = Client()
    session = client.session
    session["before_login"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    old_key = session.session_key

    response = _login(client, "rotating", PASSWORD)
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key and new_key != old_key
    assert client.get(reverse("customers:list")).status_code == 200


def test_logged_out_cookie_no_longer_works(make_user):
    make_user(Role.MARKETER, username="leaver")
    client = Client()
    _login(client, "leaver", PASSWORD)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_needs_post(client_as):
    client = client_as(Role.MARKETER)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("customers:list")).status_code == 200


@pytest.fixture
def csrf_client(make_user):
    make_user(Role.ADMIN, username="csrf-admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.ADMIN, username="csrf-admin"))
    return client


def test_state_change_without_csrf_token_is_refused(csrf_client):
    assert csrf_client.post(reverse("logout")).status_code == 403
    assert csrf_client.post(reverse("customers:import_create"), {}).status_code == 403
    # Still signed in: the refused logout changed nothing.
    assert csrf_client.get(reverse("customers:list")).status_code == 200


def test_htmx_requests_carry_the_token_from_the_body_and_pass(csrf_client):
    page = csrf_client.get(reverse("customers:list")).content.decode()
    match = re.search(r"<body hx-headers='([^']+)'", page)
    assert match, "the <body> must carry hx-headers with the CSRF token"
    headers = json.loads(match.group(1))
    token = headers["X-CSRFToken"]
    assert token

    refused = csrf_client.post(reverse("logout"), HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    accepted = csrf_client.post(reverse("logout"), HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 302


@role_required(Role.MARKETER)
def _boom(request):
    raise RuntimeError("secret internals: do not show")


@role_required(Role.MARKETER)
def _fine(request):
    return HttpResponse("fine")


urlpatterns = [
    path("boom/", _boom),
    path("fine/", _fine),
    path("", include("growthai.urls")),
]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_server_error_shows_a_plain_page_without_traceback(client_as):
    client = client_as(Role.MARKETER)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Traceback" not in body
    assert "secret internals" not in body


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_not_found_and_forbidden_pages_are_friendly(client_as):
    client = client_as(Role.MANAGER)
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert b"Page not found" in missing.content
    forbidden = client.get("/fine/")
    assert forbidden.status_code == 403
    assert b"You can't open this page" in forbidden.content


@pytest.mark.parametrize(
    ("action", "args", "page"),
    [
        ("customers:import_create", [], "customers:import_list"),
        ("scoring:model_train", [], "scoring:model_list"),
        ("scoring:model_promote", [3], "scoring:model_detail"),
        ("scoring:model_rollback", [], "scoring:model_list"),
        ("campaigns:campaign_start", [4], "campaigns:campaign_detail"),
        ("campaigns:review_bulk_approve", [], "campaigns:review_queue"),
        ("campaigns:draft_send", [5], "campaigns:draft_detail"),
        ("campaigns:customer_draft", [6], "campaigns:customer_retention"),
    ],
)
def test_opening_an_action_address_says_nothing_was_done_and_links_to_its_page(
    client_as, action, args, page
):
    response = client_as(Role.ADMIN).get(reverse(action, args=args))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert "Nothing was done" in body
    assert f'href="{reverse(page, args=args)}"' in body


def test_the_api_keeps_its_own_method_not_allowed_answer(client_as):
    response = client_as(Role.ADMIN).get("/api/predict/churn")
    assert response.status_code == 405
    assert b"Nothing was done" not in response.content
