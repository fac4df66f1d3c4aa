import json
import re

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import push_url

from customers import selectors
from customers.forms import CustomerFilterForm
from customers.models import Customer
from growthai.roles import ALL_ROLES, role_required

CUSTOMERS_PER_PAGE = 50
TIMELINE_PER_PAGE = 25

# The customer fields the list page shows (customer_list.html): the rest, the JSON
# attributes above all, are left unread.
LIST_PAGE_COLUMNS = (
    "external_id",
    "name",
    "email",
    "segment__name",
    "country",
    "plan",
    "signup_date",
    "tenure_months",
    "monthly_spend",
    "churned",
)

SORTABLE_COLUMNS = {
    "external_id": "External ID",
    "name": "Name",
    "tenure": "Tenure",
    "monthly_spend": "Monthly spend",
    "signup_date": "Signed up",
    "churn_probability": "Churn risk",
}


@role_required(*ALL_ROLES)
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET, options=selectors.customer_filter_options())
    filters = form.valid_data
    customers = selectors.customer_list(filters=filters, columns=LIST_PAGE_COLUMNS)
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(filters.get("page"))
    # Links are built from the accepted parameters only, so a bad value is dropped from
    # every link and from the address bar instead of following the user around.
    params = _query_params(filters, exclude=("page",))
    no_customers = page.paginator.count == 0 and (
        not form.has_filters or not selectors.customer_exists()
    )
    context = {
        "form": form,
        "page": page,
        "params": params,
        "sort_headers": _sort_headers(form.current_sort),
        "filter_errors": form.error_summary(),
        "has_filters": form.has_filters,
        "no_customers": no_customers,
    }

    if _wants_partial(request):
        response = render(request, "customers/customer_list.html#results", context)
        # htmx would push the URL it requested, every empty field included; the address
        # bar gets the same clean parameters as the links instead.
        page_params = params.copy()
        if page.number > 1:
            page_params["page"] = page.number
        query = f"?{page_params.urlencode()}" if page_params else ""
        push_url(response, f"{request.path}{query}")
    else:
        response = render(request, "customers/customer_list.html", context)
    return _vary_on_htmx(response)


@role_required(*ALL_ROLES)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = selectors.customer_get(pk=pk)
    except Customer.DoesNotExist:
        raise Http404("No customer with this id.") from None

    timeline = selectors.customer_timeline(
        customer=customer, page=request.GET.get("page"), per_page=TIMELINE_PER_PAGE
    )
    context = {"customer": customer, "timeline": timeline}
    if _wants_partial(request):
        return _vary_on_htmx(render(request, "customers/customer_detail.html#timeline", context))

    context |= {
        "summary": selectors.customer_activity_summary(customer=customer),
        "attribute_rows": _attribute_rows(customer.attributes),
    }
    return _vary_on_htmx(render(request, "customers/customer_detail.html", context))


def _wants_partial(request: HttpRequest) -> bool:
    # htmx re-requests a page on a history cache miss and swaps in the whole body; that
    # request must get the full page even though it carries HX-Request.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _vary_on_htmx(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a fragment or a full page; a browser cache must not hand
    # the fragment back when the user reloads.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _query_params(data: dict, *, exclude: tuple[str, ...] = ()) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, value in data.items():
        if key not in exclude:
            params[key] = str(value)
    return params


def _sort_headers(current_sort: str) -> dict[str, dict]:
    """For each sortable column: its label, the ``sort`` value its header links to, and
    its ``aria-sort`` direction when it is the column the list is sorted by."""
    current = current_sort or selectors.DEFAULT_CUSTOMER_SORT
    headers = {}
    for key, label in SORTABLE_COLUMNS.items():
        direction = None
        if current == key:
            direction = "ascending"
        elif current == f"-{key}":
            direction = "descending"
        headers[key] = {
            "label": label,
            "sort": f"-{key}" if direction == "ascending" else key,
            "direction": direction,
        }
    return headers


_WORD_BOUNDARY = re.compile(r"[_\-\s]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def humanize_key(key: str) -> str:
    """``payment_method``, ``PaymentMethod`` and ``payment-method`` all read "Payment method";
    acronyms stay as they are ("StreamingTV" reads "Streaming TV")."""
    words = [word for word in _WORD_BOUNDARY.split(str(key)) if word]
    if not words:
        return str(key)
    words = [word if word.isupper() and len(word) > 1 else word.lower() for word in words]
    return " ".join(words)[0].upper() + " ".join(words)[1:]


def _display_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_display_value(item) for item in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _attribute_rows(attributes) -> list[tuple[str, str]]:
    if not isinstance(attributes, dict):
        return []
    return [(humanize_key(key), _display_value(value)) for key, value in attributes.items()]
