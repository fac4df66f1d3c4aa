import pytest

from customers.tests.factories import UserFactory
from growthai.roles import Role

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db):
    def make(role: Role | None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin-user")


@pytest.fixture
def manager_user(make_user):
    return make_user(Role.MANAGER, username="manager-user")


@pytest.fixture
def marketer_user(make_user):
    return make_user(Role.MARKETER, username="marketer-user")


@pytest.fixture
def client_as(client, make_user):
    """A test client signed in as a fresh user holding ``role`` (None: a user with no role)."""

    def sign_in(role: Role | None):
        client.force_login(make_user(role, username=f"as-{role or 'nobody'}".lower()))
        return client

    return sign_in


def pytest_collection_modifyitems(items):
    """Give every transactional test the rows the data migrations made (the role groups).

    A transactional test ends by emptying every table, so without this a later one would
    find no Marketer, Manager or Admin group. pytest-django serializes the migrated database
    once and reloads it before each test that asks for ``django_db_serialized_rollback``.
    """
    for item in items:
        names = getattr(item, "fixturenames", None) or []
        if "transactional_db" in names and "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")
