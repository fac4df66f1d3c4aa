"""Every page fits a phone's width: wide tables scroll inside their card, the page never
scrolls sideways."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, EmailDraft, Provider
from customers.tests.factories import CustomerFactory, UserFactory
from growthai.roles import Role
from scoring.services import churn_score_create
from scoring.tests.factories import ChurnModelFactory

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
LONG_SUBJECT = "Anna, two months free when you switch to an annual plan this spring"


@pytest.fixture
def campaign_with_drafts(site):
    admin = UserFactory(username="admin-phone", role=Role.ADMIN)
    model = ChurnModelFactory()
    campaign = Campaign.objects.create(
        name="Spring win-back",
        provider=Provider.TEMPLATE,
        status=Campaign.Status.ACTIVE,
        created_by=admin,
    )
    drafts = []
    for i, status in enumerate(["pending_review", "approved", "sent"]):
        customer = CustomerFactory(name=f"Anna Longname-Smithson {i}")
        churn_score_create(
            customer=customer,
            model_id=model.pk,
            probability=0.9,
            risk_class="high",
            drivers=[],
            scored_at=timezone.now(),
        )
        drafts.append(
            EmailDraft.objects.create(
                campaign=campaign,
                customer=customer,
                status=status,
                subject=LONG_SUBJECT,
                body="Hello Anna,\n\nHere is something for you.",
                original_subject=LONG_SUBJECT,
                original_body="Hello Anna,\n\nHere is something for you.",
                provider=Provider.TEMPLATE,
                generation=1,
                churn_probability=0.9,
                risk_class="high",
                enqueued_at=timezone.now(),
            )
        )
    return {"admin": admin, "campaign": campaign, "drafts": drafts}


def test_no_page_scrolls_sideways_on_a_phone(site, page, snap, campaign_with_drafts):
    site.sign_in(page, campaign_with_drafts["admin"].username)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    draft = campaign_with_drafts["drafts"][0]
    paths = [
        reverse("dashboard"),
        reverse("customers:list"),
        reverse("customers:detail", args=[draft.customer_id]),
        reverse("customers:product_list"),
        reverse("customers:content_list"),
        reverse("customers:import_list"),
        reverse("scoring:model_list"),
        reverse("campaigns:campaign_list"),
        reverse("campaigns:campaign_detail", args=[campaign_with_drafts["campaign"].pk]),
        reverse("campaigns:review_queue"),
        reverse("campaigns:draft_detail", args=[draft.pk]),
    ]
    overflowing = {}
    for path in paths:
        response = page.goto(site(path))
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            overflowing[path] = overflow
            snap(f"overflow-{path.strip('/').replace('/', '-')}")
    assert overflowing == {}, f"pages wider than {PHONE_WIDTH} px, by px: {overflowing}"
    assert page.js_errors == []


def test_the_upload_card_keeps_its_own_height_beside_the_file_formats(site, page):
    admin = UserFactory(username="admin-imports", role=Role.ADMIN)
    site.sign_in(page, admin.username)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site(reverse("customers:import_list")))
    upload = page.locator("section[aria-labelledby=upload-title]").bounding_box()
    formats = page.locator("section[aria-labelledby=formats-title]").bounding_box()
    assert upload["x"] < formats["x"]  # side by side
    # Stretched to the long list of formats, it was a mostly empty white box.
    assert upload["height"] < formats["height"] - 200
