"""The JSON API: one NinjaAPI under ``/api/``, per-user bearer tokens, the UI's roles.

Every endpoint but ``/api/health`` needs ``Authorization: Bearer <token>`` (tokens are made
in the Django admin, under "API tokens"). Each endpoint states the roles it admits with
``auth=requires(...)``; a user holding none of them gets 403, a missing, unknown or revoked token
401. Errors are JSON ``{"detail": ...}``: a string, or for 422 a list of field errors
``{"loc": [...], "msg": ..., "type": ...}`` as pydantic reports them.
"""

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from growthai.roles import ALL_ROLES, Role, user_has_role
from growthai.tokens import api_token_authenticate


class BearerToken(HttpBearer):
    """A bearer token of an active user holding one of ``roles``.

    No, an unknown or a revoked token: 401. A valid token of a user without the role: 403,
    decided before the body is read, so a caller learns nothing about an endpoint it may
    not use."""

    def __init__(self, roles: Iterable[Role] = ALL_ROLES) -> None:
        super().__init__()
        self.allowed_roles = frozenset(roles)
        if not self.allowed_roles or not self.allowed_roles <= ALL_ROLES:
            raise ValueError(f"BearerToken needs one or more of {sorted(ALL_ROLES)}")

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is None:
            return None
        if not user_has_role(user, *self.allowed_roles):
            names = ", ".join(sorted(role.value for role in self.allowed_roles))
            raise HttpError(403, f"This endpoint needs one of the roles: {names}.")
        request.user = user
        return user


def requires(*roles: Role) -> BearerToken:
    """The ``auth=`` of an endpoint that admits users holding one of ``roles`` (superusers
    hold them all)."""
    return BearerToken(roles)


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# The largest primary key a database column holds; larger ids cannot name a row.
MAX_ID = 2**63 - 1

# The error answers every authenticated endpoint may give, for the OpenAPI schema.
AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
# ... and those of an endpoint with a JSON body, which answers 400 when the body is not JSON.
BODY_ERRORS = {400: ErrorOut, **AUTH_ERRORS}


def field_error(field: str, msg: str, *, where: str = "body") -> ValidationError:
    """A 422 naming one field, in the shape pydantic's own errors have."""
    return ValidationError([{"loc": [where, field], "msg": msg, "type": "value_error"}])


def reject_unknown_params(request: HttpRequest, allowed: Iterable[str]) -> None:
    """422 for query parameters an endpoint does not know (a typo would silently match all)."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise ValidationError(
            [
                {
                    "loc": ["query", name],
                    "msg": f"Unknown parameter; use one of: {', '.join(sorted(allowed))}.",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )


api = NinjaAPI(
    title="GrowthAI API",
    version="1.0",
    description=__doc__,
    auth=BearerToken(ALL_ROLES),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request,
        {"detail": "Missing, unknown or revoked API token; send 'Authorization: Bearer <token>'."},
        status=401,
    )


@api.exception_handler(ObjectDoesNotExist)
def _not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


def _add_routers() -> None:
    from campaigns.api import router as campaigns_router
    from customers.api import router as customers_router
    from growthai.health import health_status
    from recommendations.api import router as recommendations_router
    from scoring.api import router as scoring_router

    @api.get("/health", auth=None, tags=["health"], response={200: dict, 503: dict})
    def health(request):
        """Database and broker status (public, for load balancers): 200 when both are up."""
        status = health_status()
        return Status(200 if status["status"] == "ok" else 503, status)

    api.add_router("", customers_router, tags=["customers"])
    api.add_router("", scoring_router, tags=["churn"])
    api.add_router("", recommendations_router, tags=["recommendations"])
    api.add_router("", campaigns_router, tags=["campaigns"])


_add_routers()
