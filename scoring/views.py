from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from growthai.roles import Role, role_required, user_has_role
from scoring import selectors, services
from scoring.models import ChurnModel
from scoring.runtime import ModelUnavailable

TRAINING_PARTIAL = "scoring/model_list.html#training"


def _wants_partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _training_context() -> dict:
    return {"training": selectors.training_run_status(run=selectors.training_run_latest())}


def _page(request: HttpRequest, *, pk: int | None) -> HttpResponse:
    if _wants_partial(request):
        response = render(request, TRAINING_PARTIAL, _training_context())
    else:
        featured = selectors.churn_model_featured(pk=pk)
        if pk is not None and featured is None:
            raise Http404("No churn model with this id.")
        context = {
            "featured": featured,
            "active": selectors.churn_model_active(),
            "models": selectors.churn_model_list(),
            "metric_rows": selectors.metric_table(featured),
            "charts": selectors.chart_data(featured),
            "runs": selectors.training_runs_recent(),
            "scoring_run": selectors.scoring_run_latest(),
            "can_manage": user_has_role(request.user, Role.ADMIN),
            "holdout_percent": settings.CHURN_HOLDOUT_PERCENT,
            "promotion_tolerance": settings.CHURN_PROMOTION_TOLERANCE,
            **_training_context(),
        }
        response = render(request, "scoring/model_list.html", context)
    # One URL answers with a fragment or the page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@role_required(Role.ADMIN, Role.MANAGER)
@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    return _page(request, pk=None)


@role_required(Role.ADMIN, Role.MANAGER)
@require_GET
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk=pk)


@role_required(Role.ADMIN)
@require_POST
def model_train(request: HttpRequest) -> HttpResponse:
    if services.training_run_in_progress() is not None:
        messages.info(request, "A training run is already queued or running.")
    else:
        services.training_run_create(created_by=request.user)
        messages.success(request, "Training queued. Progress shows below.")
    if _wants_partial(request):
        return render(request, TRAINING_PARTIAL, _training_context())
    return redirect("scoring:model_list")


@role_required(Role.ADMIN)
@require_POST
def model_promote(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        model = selectors.churn_model_get(pk=pk)
    except ChurnModel.DoesNotExist:
        raise Http404("No churn model with this id.") from None
    try:
        services.churn_model_promote(model=model)
    except ModelUnavailable as exc:
        messages.error(request, f"v{model.version} was not promoted: {exc}")
    else:
        messages.success(request, f"v{model.version} is now the active model.")
    return redirect("scoring:model_detail", pk=model.pk)


@role_required(Role.ADMIN)
@require_POST
def model_rollback(request: HttpRequest) -> HttpResponse:
    try:
        model = services.churn_model_rollback()
    except ModelUnavailable as exc:
        messages.error(request, f"Nothing was rolled back: {exc}")
    else:
        messages.success(request, f"Rolled back: v{model.version} is active again.")
    return redirect("scoring:model_list")


@role_required(Role.ADMIN)
@require_POST
def customers_score(request: HttpRequest) -> HttpResponse:
    if selectors.churn_model_active() is None:
        messages.error(request, "No model is active yet: train one first.")
    else:
        services.scoring_run_create(created_by=request.user)
        messages.success(request, "Re-scoring of every customer queued.")
    return redirect("scoring:model_list")
