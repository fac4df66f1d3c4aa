"""Site-wide pages outside the apps: the favicon."""

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from growthai.roles import Role


def test_favicon_ico_redirects_to_the_icon_every_page_links(client, client_as):
    icon = static("favicon.svg")
    response = client.get("/favicon.ico")  # signed out: browsers ask before any login
    assert response.status_code == 301
    assert response["Location"] == icon
    with open(finders.find("favicon.svg"), encoding="utf-8") as f:
        assert f.read().startswith("<svg")

    page = client_as(Role.MARKETER).get(reverse("customers:list")).content.decode()
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in page
