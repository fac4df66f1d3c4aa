from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from customers.models import Customer
from growthai.roles import ALL_ROLES, role_required
from recommendations import services

PANEL_ITEMS = 6


@role_required(*ALL_ROLES)
@require_GET
def customer_recommendations(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's recommended products and content with their reasons: the panel alone
    for the customer page's htmx request, a page of its own otherwise."""
    try:
        customer = Customer.objects.select_related("segment").get(pk=pk)
        products = services.recommend_for_customer(customer_id=pk, kind="product", n=PANEL_ITEMS)
        content = services.recommend_for_customer(customer_id=pk, kind="content", n=PANEL_ITEMS)
    except (Customer.DoesNotExist, services.UnknownCustomer):
        raise Http404("No customer with this id.") from None
    context = {"customer": customer, "products": products, "content": content}
    # htmx re-requests a page on a history cache miss and needs the whole page then.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(
            request,
            "recommendations/customer_recommendations.html#panel",
            context | {"embedded": True},
        )
    else:
        response = render(request, "recommendations/customer_recommendations.html", context)
    # One URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response
