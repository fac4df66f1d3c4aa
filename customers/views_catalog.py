"""Catalogue pages: products and content, searchable lists and detail pages with the items
the recommendation engine finds similar."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from customers.forms import CatalogFilterForm
from customers.models import ContentItem, Product
from growthai.roles import ALL_ROLES, role_required
from recommendations import selectors, services

ITEMS_PER_PAGE = 25
SIMILAR_ITEMS = 6


def _wants_partial(request: HttpRequest) -> bool:
    # A history-restore request swaps in the whole body, so it needs the full page.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _vary_on_htmx(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("HX-Request",))
    return response


def _list_page(
    request: HttpRequest,
    *,
    form: CatalogFilterForm,
    queryset,
    template: str,
    extra: dict,
) -> HttpResponse:
    filters = form.filters
    page = Paginator(queryset, ITEMS_PER_PAGE).get_page(form.valid_data.get("page"))
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


@role_required(*ALL_ROLES)
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    categories = selectors.product_categories()
    form = CatalogFilterForm(
        request.GET, choice_name="category", choices=[(c, c) for c in categories]
    )
    filters = form.filters
    return _list_page(
        request,
        form=form,
        queryset=selectors.product_list(query=filters["q"], category=filters["category"]),
        template="customers/product_list.html",
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
    form = CatalogFilterForm(request.GET, choice_name="kind", choices=ContentItem.Kind.choices)
    filters = form.filters
    return _list_page(
        request,
        form=form,
        queryset=selectors.content_list(query=filters["q"], kind=filters["kind"]),
        template="customers/content_list.html",
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
