from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.defaults import bad_request

from .health import health_status
from .middleware import API_PREFIX
from .roles import Role, public, role_required, user_has_role


@role_required(Role.MARKETER, Role.MANAGER, Role.ADMIN)
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:list")


@public
@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    """Where a signed-in user without any role lands, instead of a wall of 403s."""
    if user_has_role(request.user, *Role):
        return redirect("home")
    return render(request, "no_role.html", status=403)


@public
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page, the admin site's and the API docs' too."""
    return redirect(static("favicon.svg"), permanent=True)


@public
def healthz(request: HttpRequest) -> JsonResponse:
    status = health_status()
    return JsonResponse(status, status=200 if status["status"] == "ok" else 503)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def _for_the_api(request: HttpRequest) -> bool:
    # A path under /api/ that no endpoint matches (an id that is not a number, a typo) or an
    # endpoint that failed: its client reads JSON, in the API's {"detail": ...} shape.
    return request.path_info.startswith(API_PREFIX)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_the_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return bad_request(request, exception)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_the_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _for_the_api(request):
        return JsonResponse({"detail": "Internal server error; it has been logged."}, status=500)
    # No context processors and no request context: the page must render even when the
    # database or the session is what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
