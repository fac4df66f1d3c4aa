from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from growthai.accounts import demo_users_create, user_create_with_role
from growthai.roles import Role, user_roles

pytestmark = pytest.mark.django_db


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_demo_users_get_one_role_each_and_working_passwords():
    created = demo_users_create()
    assert [user.username for user, _ in created] == ["marketer", "manager", "admin"]
    expected = {"marketer": Role.MARKETER, "manager": Role.MANAGER, "admin": Role.ADMIN}
    for user, password in created:
        user = _fresh(user)
        assert user_roles(user) == {expected[user.username]}
        assert user.check_password(password)
        assert len(password) >= 16
    assert len({password for _, password in created}) == 3


def test_admin_is_staff_but_not_superuser():
    users = {user.username: _fresh(user) for user, _ in demo_users_create()}
    assert users["admin"].is_staff and not users["admin"].is_superuser
    for name in ("marketer", "manager"):
        assert not users[name].is_staff and not users[name].is_superuser


def test_rerun_is_idempotent_and_rotates_passwords():
    first = dict((user.username, password) for user, password in demo_users_create())
    second = dict((user.username, password) for user, password in demo_users_create())
    assert get_user_model().objects.count() == 3
    for username in first:
        user = get_user_model().objects.get(username=username)
        assert user.check_password(second[username])
        assert not user.check_password(first[username])
        assert user.groups.count() == 1


def test_existing_user_is_given_the_role_and_loses_other_roles_and_superuser(make_user):
    existing = make_user(Role.ADMIN, username="dana", is_superuser=True)
    user, password = user_create_with_role(username="dana", role=Role.MARKETER)
    user = _fresh(user)
    assert user.pk == existing.pk
    assert user_roles(user) == {Role.MARKETER}
    assert not user.is_staff and not user.is_superuser
    assert user.check_password(password)


def test_explicit_password_is_used_and_validated():
    user, password = user_create_with_role(
        username="sam", role=Role.MANAGER, email="sam@example.com", password="plum-orbit-canvas-42"
    )
    assert password == "plum-orbit-canvas-42"
    assert _fresh(user).check_password(password) and user.email == "sam@example.com"
    with pytest.raises(ValidationError):
        user_create_with_role(username="kim", role=Role.MANAGER, password="password")


def test_demo_users_can_sign_in_on_the_login_page(client):
    credentials = {user.username: password for user, password in demo_users_create()}
    response = client.post(
        reverse("login"), {"username": "manager", "password": credentials["manager"]}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "manager"


def test_command_prints_the_credentials_table():
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    text = out.getvalue()
    assert "Demo credentials" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("username"))
    assert header.split() == ["username", "role", "password"]
    for username, role in (("marketer", "Marketer"), ("manager", "Manager"), ("admin", "Admin")):
        row = next(line for line in lines if line.startswith(f"{username} "))
        _, shown_role, password = row.split()
        assert shown_role == role
        assert get_user_model().objects.get(username=username).check_password(password)
