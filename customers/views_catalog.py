"""Catalogue pages: products and content, searchable lists and detail pages with the items
the recommendation engine finds similar."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from customers.models import ContentItem, Product
from growthai.roles import ALL_ROLES, role_required
from recommendations import selectors, services

ITEMS_PER_PAGE = 25
SIMILAR_ITEMS = 6
MAX_QUERY_LENGTH = 200


def _wants_partial(request: HttpRequest) -> bool:
    # A history-restore request swaps in the whole body, so it needs the full page.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _vary_on_htmx(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("HX-Request",))
    return response


def _list_page(
    request: HttpRequest,
    *,
    queryset,
    template: str,
    filters: dict[str, str],
    extra: dict,
) -> HttpResponse:
    page = Paginator(queryset, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    params = QueryDict(mutable=True)
    for key, value in filters.items():
        if value:
            params[key] = value
    context = {"page": page, "params": params, "has_filters": bool(params), **filters, **extra}
    if _wants_partial(request):
        response = render(request, f"{template}#results", context)
        page_params = params.copy()
        if page.number > 1:
            page_params["page"] = page.number
        query = f"?{page_params.urlencode()}" if page_params else ""
        push_url(response, f"{request.path}{query}")
    else:
        response = render(request, template, context)
    return _vary_on_htmx(response)


def _query(request: HttpRequest) -> str:
    # No stored text holds a NUL character (PostgreSQL refuses them, and a search for one
    # failed inside the driver), so dropping it changes no result.
    return request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


@role_required(*ALL_ROLES)
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    categories = selectors.product_categories()
    category = request.GET.get("category", "")
    if category not in categories:
        category = ""  # an unknown value is dropped rather than showing an empty list
    query = _query(request)
    return _list_page(
        request,
        queryset=selectors.product_list(query=query, category=category),
        template="customers/product_list.html",
        filters={"q": query, "category": category},
        extra={"categories": categories},
    )


@role_required(*ALL_ROLES)
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        product = selectors.product_get(pk=pk)
    except Product.DoesNotExist:
        raise Http404("No product with this id.") from None
    try:
        similar = services.recommend_similar_items(kind="product", item_id=pk, n=SIMILAR_ITEMS)
        related = services.recommend_similar_items(
            kind="product", item_id=pk, n=SIMILAR_ITEMS, target_kind="content"
        )
    except services.UnknownItem:  # deleted since the line above
        raise Http404("No product with this id.") from None
    context = {
        "product": product,
        "summary": selectors.item_interaction_summary(product=product),
        "similar": similar,
        "related": related,
    }
    return render(request, "customers/product_detail.html", context)


@role_required(*ALL_ROLES)
@require_GET
def content_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ContentItem.Kind.values:
        kind = ""
    query = _query(request)
    return _list_page(
        request,
        queryset=selectors.content_list(query=query, kind=kind),
        template="customers/content_list.html",
        filters={"q": query, "kind": kind},
        extra={"kinds": ContentItem.Kind.choices},
    )


@role_required(*ALL_ROLES)
@require_GET
def content_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.content_get(pk=pk)
    except ContentItem.DoesNotExist:
        raise Http404("No content item with this id.") from None
    try:
        similar = services.recommend_similar_items(kind="content", item_id=pk, n=SIMILAR_ITEMS)
        related = services.recommend_similar_items(
            kind="content", item_id=pk, n=SIMILAR_ITEMS, target_kind="product"
        )
    except services.UnknownItem:  # deleted since the line above
        raise Http404("No content item with this id.") from None
    context = {
        "item": item,
        "summary": selectors.item_interaction_summary(content=item),
        "similar": similar,
        "related": related,
    }
    return render(request, "customers/content_detail.html", context)
