import pytest
from django.urls import reverse

from customers.tests.factories import ContentItemFactory, CustomerFactory, ProductFactory
from growthai.roles import Role

ALL = [Role.ADMIN, Role.MANAGER, Role.MARKETER]


@pytest.fixture(autouse=True)
def check_every_call(settings):
    settings.RECOMMENDATIONS_VERSION_CHECK_SECONDS = 0


def _pages(shop):
    return [
        reverse("recommendations:customer", args=[shop["runners"][0].pk]),
        reverse("customers:product_list"),
        reverse("customers:product_detail", args=[shop["shoes"].pk]),
        reverse("customers:content_list"),
        reverse("customers:content_detail", args=[shop["article_trail"].pk]),
    ]


@pytest.mark.parametrize("role", ALL)
def test_every_role_may_view_the_pages(client_as, shop, role):
    client = client_as(role)
    for url in _pages(shop):
        assert client.get(url).status_code == 200, url


def test_no_role_and_anonymous_are_kept_out(client, client_as, shop):
    for url in _pages(shop):
        assert client.get(url).status_code == 302
    no_role = client_as(None)
    for url in _pages(shop):
        assert no_role.get(url).status_code == 403


def test_customer_page_loads_the_panel_lazily_with_a_fallback_link(client_as, shop):
    customer = shop["runners"][0]
    page = client_as(Role.MARKETER).get(reverse("customers:detail", args=[customer.pk]))
    html = page.content.decode()
    url = reverse("recommendations:customer", args=[customer.pk])
    assert f'hx-get="{url}"' in html and 'hx-trigger="load"' in html
    assert f'<a href="{url}">' in html
    # The timeline links to the new catalogue pages.
    assert reverse("customers:product_detail", args=[shop["shoes"].pk]) in html
    assert reverse("customers:content_detail", args=[shop["article_trail"].pk]) in html


def test_panel_partial_for_htmx_and_full_page_otherwise(client_as, built):
    client = client_as(Role.MANAGER)
    runner = built["runners"][2]
    url = reverse("recommendations:customer", args=[runner.pk])
    partial = client.get(url, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="recommendations"')
    assert "Running headlamp" in html and "Because you bought" in html
    assert "Training for your first marathon" in html
    assert reverse("customers:product_detail", args=[built["headlamp"].pk]) in html
    assert "HX-Request" in partial["Vary"]
    assert f'<a href="{url}">Open as a page</a>' in html
    full = client.get(url).content.decode()
    assert "<html" in full and "Running headlamp" in full
    assert "Open as a page" not in full  # the page does not link to itself


def test_panel_for_unknown_customer_is_404(client_as, db):
    client = client_as(Role.MARKETER)
    url = reverse("recommendations:customer", args=[999999])
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_panel_explains_an_empty_catalogue(client_as, db):
    customer = CustomerFactory()
    url = reverse("recommendations:customer", args=[customer.pk])
    html = client_as(Role.MARKETER).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "The catalogue has no products yet." in html
    assert "The catalogue has no content items yet." in html


def test_product_detail_shows_similar_items(client_as, built):
    client = client_as(Role.MARKETER)
    html = client.get(reverse("customers:product_detail", args=[built["shoes"].pk])).content
    html = html.decode()
    assert "Similar products" in html and "Running hydration vest" in html
    assert "Related content" in html and "trail running" in html.lower()
    assert client.get(reverse("customers:product_detail", args=[999999])).status_code == 404


def test_content_detail_shows_similar_items(client_as, built):
    client = client_as(Role.MARKETER)
    url = reverse("customers:content_detail", args=[built["article_trail"].pk])
    html = client.get(url).content.decode()
    assert "Similar content" in html and "Training for your first marathon" in html
    assert "Related products" in html and "Trail running shoes" in html
    assert client.get(reverse("customers:content_detail", args=[999999])).status_code == 404


def test_detail_page_before_anything_is_built(client_as, shop):
    html = (
        client_as(Role.MARKETER)
        .get(reverse("customers:product_detail", args=[shop["shoes"].pk]))
        .content.decode()
    )
    assert "Nothing similar yet" in html


def test_product_list_search_filter_and_htmx_pagination(client_as, db):
    for i in range(30):
        ProductFactory(name=f"Mug {i:02d}", category="Kitchen")
    ProductFactory(name="Trail shoe", sku="RUN-1", category="Running")
    client = client_as(Role.MARKETER)
    url = reverse("customers:product_list")
    page = client.get(url).content.decode()
    assert "31" in page and 'hx-get="?page=2"' in page
    partial = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and 'id="results"' in partial.content.decode()
    assert partial["HX-Push-Url"] == f"{url}?page=2"
    found = client.get(url, {"q": "run-1"}).content.decode()
    assert "Trail shoe" in found and "Mug 00" not in found
    kitchen = client.get(url, {"category": "Running"}).content.decode()
    assert "Trail shoe" in kitchen and "Mug 01" not in kitchen
    ignored = client.get(url, {"category": "<script>"}).content.decode()
    assert "Mug 01" in ignored and "<script>" not in ignored
    nothing = client.get(url, {"q": "zzz"}).content.decode()
    assert "No products match" in nothing


def test_product_list_when_empty(client_as, db):
    html = client_as(Role.MARKETER).get(reverse("customers:product_list")).content.decode()
    assert "No products yet" in html


def test_content_list_search_and_kind(client_as, db):
    ContentItemFactory(title="Trail running guide", kind="article")
    ContentItemFactory(title="Trail running video", kind="video")
    client = client_as(Role.MANAGER)
    url = reverse("customers:content_list")
    html = client.get(url, {"q": "trail", "kind": "video"}).content.decode()
    assert "Trail running video" in html and "Trail running guide" not in html
    partial = client.get(url, {"q": "guide"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Trail running guide" in partial


@pytest.mark.parametrize("name", ["customers:product_list", "customers:content_list"])
def test_a_search_holding_a_nul_character_searches_without_it(client_as, db, name):
    # PostgreSQL refuses NUL in text: the search used to fail there with a 500.
    ProductFactory(name="Trail shoe", sku="RUN-1")
    ContentItemFactory(title="Trail running guide", kind="article")
    response = client_as(Role.MARKETER).get(reverse(name), {"q": "Tr\x00ail"})
    assert response.status_code == 200
    assert "Trail" in response.content.decode()


def test_catalogue_search_is_tidied_not_rejected(client_as, db):
    ProductFactory(name="Trail shoe", sku="RUN-1", category="Running")
    ProductFactory(name="Kitchen mug", category="Kitchen")
    client = client_as(Role.MARKETER)
    url = reverse("customers:product_list")
    spaced = client.get(url, {"q": "  trail   shoe "}, HTTP_HX_REQUEST="true")
    assert "Trail shoe" in spaced.content.decode() and "Kitchen mug" not in spaced.content.decode()
    # The address bar gets the tidied search; a bad page or category drops out of it.
    assert spaced["HX-Push-Url"] == f"{url}?q=trail+shoe"
    bad = client.get(url, {"q": "mug", "category": "Nope", "page": "0"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and bad["HX-Push-Url"] == f"{url}?q=mug"
    assert "Kitchen mug" in bad.content.decode()
    long = client.get(url, {"q": "trail" + "x" * 500})
    assert long.status_code == 200 and "x" * 201 not in long.content.decode()


def test_catalogue_filter_form_keeps_only_valid_values():
    from customers.forms import CatalogFilterForm

    form = CatalogFilterForm(
        {"q": " a\x00b ", "kind": "podcast", "page": "-1"},
        choice_name="kind",
        choices=[("article", "Article"), ("podcast", "Podcast")],
    )
    assert form.valid_data == {"q": "ab", "kind": "podcast"}
    unknown = CatalogFilterForm({"kind": "essay"}, choice_name="kind", choices=[("a", "A")])
    assert unknown.valid_data == {} and "kind" in unknown.errors


def test_catalogue_views_change_nothing(client_as, built):
    from django.apps import apps

    client = client_as(Role.ADMIN)
    before = {m._meta.label: m.objects.count() for m in apps.get_models()}
    for url in _pages(built):
        assert client.get(url).status_code == 200
    assert {m._meta.label: m.objects.count() for m in apps.get_models()} == before
