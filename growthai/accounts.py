"""User services: accounts that hold exactly one GrowthAI role."""

import secrets
import string

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from growthai.roles import Role

# No look-alike characters (0/O, 1/l/I): demo passwords get read off a terminal and typed.
PASSWORD_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")
PASSWORD_LENGTH = 16

DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("marketer", Role.MARKETER),
    ("manager", Role.MANAGER),
    ("admin", Role.ADMIN),
)


def password_generate(*, length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


@transaction.atomic
def user_create_with_role(
    *, username: str, role: Role, email: str = "", password: str | None = None
) -> tuple[AbstractUser, str]:
    """Create ``username`` holding ``role`` (and no other GrowthAI role); return it and its
    password.

    Idempotent: an existing user is given the role and the new password. Admins become
    staff so they reach the Django admin, but never superusers: a superuser holds every
    role, which would defeat the point of a role-specific account.
    """
    role = Role(role)
    groups = {group.name: group for group in Group.objects.filter(name__in=[r.value for r in Role])}
    if role.value not in groups:
        raise ImproperlyConfigured(
            f"The {role.value!r} group does not exist; run `manage.py migrate` first."
        )

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    if email:
        user.email = email
    user.is_active = True
    user.is_staff = role == Role.ADMIN
    user.is_superuser = False
    if password is None:
        password = password_generate()
    else:
        validate_password(password, user)
    user.set_password(password)
    user.save()

    user.groups.remove(*(group for name, group in groups.items() if name != role.value))
    user.groups.add(groups[role.value])
    return user, password


def demo_users_create() -> list[tuple[AbstractUser, str]]:
    """The ``marketer``, ``manager`` and ``admin`` demo accounts, each with a fresh password."""
    return [
        user_create_with_role(username=username, role=role, email=f"{username}@example.com")
        for username, role in DEMO_USERS
    ]
