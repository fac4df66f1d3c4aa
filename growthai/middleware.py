"""API requests carrying a NUL character are answered 422 before they reach an endpoint.

PostgreSQL text cannot hold NUL (U+0000): a NUL in an id, a search or a JSON field that
reached a query failed inside the database driver, a 500, instead of telling the client
which field is wrong. The site's HTML forms refuse NUL themselves (Django's form fields do);
the API's parameters and JSON bodies are checked here, in one place, for every endpoint."""

import json
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

NUL = "\x00"
API_PREFIX = "/api/"


def nul_locations(value: object, loc: list) -> Iterator[list]:
    """The ``loc`` of every string in ``value`` (JSON-like) that holds a NUL character."""
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:  # JSON object keys are always strings
                yield [*loc, key]
            else:
                yield from nul_locations(item, [*loc, key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_locations(item, [*loc, i])


FORM_CONTENT_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def _json_body(request: HttpRequest) -> object:
    # The endpoints read any other body as JSON, whatever its Content-Type says.
    if request.method in ("GET", "HEAD") or request.content_type in FORM_CONTENT_TYPES:
        return None
    # Valid JSON carries a NUL only as the escape \u0000, or as zero bytes when it is
    # UTF-16 or UTF-32 encoded; any other body is left to the endpoint's single parse.
    if b"\\u0000" not in request.body and b"\x00" not in request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None  # not JSON: the endpoint answers its own 400


def api_request_nul_locations(request: HttpRequest) -> list[list]:
    locations = [["path"]] if NUL in request.path_info else []
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            locations.append(["query", name])
    locations.extend(nul_locations(_json_body(request), ["body"]))
    return locations


class RejectNulInApiRequestsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            locations = api_request_nul_locations(request)
            if locations:
                errors = [
                    {
                        "loc": loc,
                        "msg": "Text may not contain NUL (\\u0000) characters.",
                        "type": "string_nul",
                    }
                    for loc in locations
                ]
                return JsonResponse({"detail": errors}, status=422)
        return self.get_response(request)


def action_parent_page(path: str) -> str | None:
    """The page an action's address belongs to: the nearest shorter path that is a page
    (``/campaigns/drafts/7/approve/`` -> ``/campaigns/drafts/7/``), or None."""
    segments = [s for s in path.split("/") if s]
    while len(segments) > 1:
        segments.pop()
        candidate = "/" + "/".join(segments) + "/"
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return candidate
    return None


class MethodNotAllowedPageMiddleware:
    """A browser that opens an action's address gets a page saying what happened instead
    of Django's empty 405.

    Actions (approve, send, train, import...) take POSTs only. A browser still GETs one when
    a user whose session ended pressed the button: the sign-in page sends them back to the
    action's address, and they saw a blank page, not knowing whether anything was done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method == "GET"
            and not request.path_info.startswith(API_PREFIX)
            and not response.content
        ):
            page = render(
                request,
                "405.html",
                {"back_url": action_parent_page(request.path_info)},
                status=405,
            )
            page["Allow"] = response.get("Allow", "")
            return page
        return response
