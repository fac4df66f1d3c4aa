"""The executive dashboard: thin views over ``scoring.selectors_dashboard``."""

import csv

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import push_url

from customers.selectors import CURRENT_CUSTOMERS, customer_filter_options
from growthai.roles import Role, role_required
from scoring.forms_dashboard import DashboardFilterForm
from scoring.selectors_dashboard import dashboard_data

EXPORTS = ("segments", "top", "funnel")


def _params(filters: dict, **extra) -> QueryDict:
    """The customer list's parameters, always in the same order: segment, country, plan, risk."""
    merged = {**filters, **extra}
    params = QueryDict(mutable=True)
    for key in ("segment", "country", "plan", "risk"):
        if merged.get(key) not in (None, ""):
            params[key] = str(merged[key])
    return params


def _drill(base: str, filters: dict, *, sort: str = "", **extra) -> str:
    """A link to the customer list behind a figure: the dashboard counts current customers
    only, so the list it opens leaves out those who have churned."""
    params = _params(filters, **extra)
    params["churn"] = CURRENT_CUSTOMERS
    if sort:
        params["sort"] = sort
    return f"{base}?{params.urlencode()}"


def _selects(form: DashboardFilterForm) -> list[dict]:
    """The filter selects, options marked in Python: Django's widget templates cost more
    than the rest of the (cached) page."""
    selects = []
    for name in ("segment", "country", "plan"):
        field = form[name]
        current = str(field.value() or "")
        selects.append(
            {
                "name": name,
                "id": field.id_for_label,
                "label": field.label,
                "options": [
                    (str(value), label, str(value) == current)
                    for value, label in form.fields[name].choices
                ],
            }
        )
    return selects


def _csv(name: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _export(kind: str, data: dict) -> HttpResponse:
    if kind == "segments":
        return _csv(
            "segments",
            [
                "segment",
                "customers",
                "scored",
                "high_risk",
                "high_risk_share",
                "mean_churn_probability",
                "revenue_at_risk",
            ],
            [
                [
                    s["segment"],
                    s["customers"],
                    s["scored"],
                    s["high"],
                    _fmt(s["high_share"]),
                    _fmt(s["mean_probability"]),
                    f"{s['revenue_at_risk']:.2f}",
                ]
                for s in data["segments"]
            ],
        )
    if kind == "top":
        return _csv(
            "top-at-risk",
            [
                "external_id",
                "name",
                "segment",
                "country",
                "plan",
                "monthly_spend",
                "churn_probability",
                "risk_class",
                "revenue_at_risk",
            ],
            [
                [
                    r["external_id"],
                    r["name"],
                    r["segment"] or "",
                    r["country"],
                    r["plan"],
                    "" if r["monthly_spend"] is None else f"{r['monthly_spend']:.2f}",
                    _fmt(r["probability"]),
                    r["risk"],
                    f"{r['revenue_at_risk']:.2f}",
                ]
                for r in data["top_at_risk"]
            ],
        )
    return _csv(
        "funnel",
        ["step", "drafts", "share_of_drafted"],
        [[f["label"], f["count"], _fmt(f["share"])] for f in data["funnel"]],
    )


def _pct(value):
    return None if value is None else value * 100


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}"


@role_required(Role.ADMIN, Role.MANAGER)
def dashboard(request: HttpRequest) -> HttpResponse:
    options = customer_filter_options()
    form = DashboardFilterForm(request.GET, options=options)
    filters = form.valid_data
    segment_names = {int(pk): name for pk, name in options["segments"]}
    data = dashboard_data(filters=filters, segment_names=segment_names)

    if (kind := request.GET.get("export")) in EXPORTS:
        return _export(kind, data)

    base = reverse("customers:list")
    kpis = data["kpis"]
    kpis["at_risk_pct"] = _pct(kpis["at_risk_share"])
    kpis["churn_rate_pct"] = _pct(kpis["predicted_churn_rate"])
    for seg in data["segments"]:
        seg["high_pct"] = _pct(seg["high_share"])
        seg["mean_pct"] = _pct(seg["mean_probability"])
        seg["url"] = _drill(base, filters, segment=seg["segment_id"])
        seg["high_url"] = _drill(base, filters, segment=seg["segment_id"], risk="high")
    for row in data["risk_counts"]:
        row["url"] = _drill(base, filters, risk=row["risk"])
    params = _params(filters)
    query = params.urlencode()
    context = {
        "form": form,
        "data": data,
        "filter_errors": form.error_summary(),
        "has_filters": bool(filters),
        "query": query,
        "riskiest_url": _drill(base, filters, sort="-churn_probability"),
        "selects": [] if request.htmx else _selects(form),
        "charts": {
            "histogram": data["histogram"],
            "risks": data["risk_counts"],
            "segments": [
                {
                    "label": s["segment"],
                    "revenue": s["revenue_at_risk"],
                    "high": s["high"],
                    "url": s["high_url"],
                }
                for s in data["segments"]
            ],
            "trend": data["trend"],
            "funnel": data["funnel"],
        },
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "dashboard/dashboard.html#body", context)
        push_url(response, f"{request.path}?{query}" if query else request.path)
    else:
        response = render(request, "dashboard/dashboard.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
