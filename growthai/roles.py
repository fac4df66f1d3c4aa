"""The three roles and the one decorator every view declares its audience with.

A role is a Django group. Superusers hold every role. A view states who may use it with
``@role_required(...)`` (or ``@public`` for the few pages anyone may reach); a test walks the
URLconf and fails on any view that declares neither.
"""

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse


class Role(StrEnum):
    MARKETER = "Marketer"
    MANAGER = "Manager"
    ADMIN = "Admin"


ALL_ROLES: frozenset[Role] = frozenset(Role)


def user_roles(user) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_ROLES
    cached = getattr(user, "_growthai_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._growthai_roles = cached
    return cached


def user_has_role(user, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(*roles: Role) -> Callable:
    """Let only signed-in users holding one of ``roles`` in; others get a login redirect or 403."""
    allowed = frozenset(roles)
    if not allowed or not allowed <= ALL_ROLES:
        raise ValueError(f"role_required needs one or more of {sorted(ALL_ROLES)}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, *allowed):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that deliberately needs no login (health checks, the login page)."""
    view.allowed_roles = "public"
    return view


# (label, url name, roles that see it) — the navigation bar shows an entry only to the
# roles that may open it. Later features append their pages here.
NAVIGATION: list[tuple[str, str, Iterable[Role]]] = [
    ("Dashboard", "dashboard", {Role.MANAGER, Role.ADMIN}),
    ("Customers", "customers:list", ALL_ROLES),
    ("Products", "customers:product_list", ALL_ROLES),
    ("Content", "customers:content_list", ALL_ROLES),
    ("Imports", "customers:import_list", {Role.ADMIN}),
    ("Churn models", "scoring:model_list", {Role.ADMIN, Role.MANAGER}),
    ("Campaigns", "campaigns:campaign_list", {Role.MARKETER, Role.MANAGER, Role.ADMIN}),
    ("Review queue", "campaigns:review_queue", {Role.MARKETER, Role.MANAGER, Role.ADMIN}),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else frozenset()
    items = []
    if roles:
        for label, url_name, allowed in NAVIGATION:
            if roles & set(allowed):
                try:
                    url = reverse(url_name)
                except NoReverseMatch:
                    continue
                items.append({"label": label, "url": url, "active": False})
        # Pages nest (/customers/products/ under /customers/): only the longest match is lit.
        matches = [item for item in items if request.path.startswith(item["url"])]
        if matches:
            max(matches, key=lambda item: len(item["url"]))["active"] = True
    role_names = sorted(role.value for role in roles)
    username = user.get_username() if user is not None and user.is_authenticated else ""
    return {
        "nav_items": items,
        "user_role_names": role_names,
        # "ana · Marketer": shown in the top bar, cut short there and in full on hover.
        "user_label": " · ".join([username, ", ".join(role_names)]) if role_names else username,
        "can_use_admin_site": bool(user and user.is_authenticated and user.is_staff),
    }
