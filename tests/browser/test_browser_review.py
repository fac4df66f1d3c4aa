"""A Marketer edits a draft inline and approves it on the draft's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, DraftEvent, EmailDraft, Provider
from customers.tests.factories import CustomerFactory, UserFactory
from growthai.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def marketer(site):
    return UserFactory(username="marketer-b", role=Role.MARKETER)


@pytest.fixture
def draft(marketer):
    campaign = Campaign.objects.create(
        name="Spring win-back",
        provider=Provider.TEMPLATE,
        status=Campaign.Status.ACTIVE,
        created_by=marketer,
    )
    return EmailDraft.objects.create(
        campaign=campaign,
        customer=CustomerFactory(name="Anna Smith"),
        status=EmailDraft.Status.PENDING_REVIEW,
        subject="We miss you, Anna",
        body="Hello Anna,\n\nHere is something for you.",
        original_subject="We miss you, Anna",
        original_body="Hello Anna,\n\nHere is something for you.",
        provider=Provider.TEMPLATE,
        generation=1,
        enqueued_at=timezone.now(),
    )


def open_draft(site, page, draft):
    page.goto(site(reverse("campaigns:draft_detail", args=[draft.pk])))
    assert page.locator("#draft-live .badge").first.inner_text() == "Pending review"


def test_marketer_edits_the_subject_inline_then_approves(site, page, snap, marketer, draft):
    site.sign_in(page, marketer.username)
    open_draft(site, page, draft)
    snap("draft-pending")
    marker = site.set_marker(page)

    # Inline edit: the text box turns into a form in place, and back after saving.
    page.locator("#draft-text").get_by_role("link", name="Edit", exact=True).click()
    subject = page.locator("form#draft-text input[name=subject]")
    subject.wait_for()
    snap("editor-open")
    subject.fill("Anna, a thank-you from us")
    page.locator("form#draft-text").get_by_role("button", name="Save").click()
    page.locator("section#draft-text dd.email-subject").wait_for()
    snap("edited")
    assert page.locator("section#draft-text dd.email-subject").inner_text() == (
        "Anna, a thank-you from us"
    )
    assert "Edited" in page.locator("#email-heading").inner_text()
    # The history panel, elsewhere on the page, gains the edit in the same swap.
    page.locator("#draft-history li", has_text="Changed: subject").wait_for()
    assert page.locator("#draft-history").count() == 1
    assert site.marker(page) == marker, "the inline edit reloaded the page"
    draft.refresh_from_db()
    assert draft.subject == "Anna, a thank-you from us"
    assert draft.original_subject == "We miss you, Anna"

    # Approve.
    page.get_by_role("button", name="Approve", exact=True).click()
    page.locator("#draft-live .badge", has_text="Approved").wait_for()
    snap("approved")
    assert page.get_by_role("button", name="Send now").count() == 1
    assert page.get_by_role("button", name="Approve", exact=True).count() == 0
    draft.refresh_from_db()
    assert draft.status == EmailDraft.Status.APPROVED
    assert draft.reviewed_by == marketer
    assert draft.subject == "Anna, a thank-you from us"
    assert set(DraftEvent.objects.filter(draft=draft).values_list("kind", flat=True)) >= {
        "edited",
        "approved",
    }
    assert page.js_errors == []


def test_approve_changes_the_status_without_a_page_reload(site, page, snap, marketer, draft):
    site.sign_in(page, marketer.username)
    open_draft(site, page, draft)
    marker = site.set_marker(page)
    page.get_by_role("button", name="Approve", exact=True).click()
    page.locator("#draft-live .badge", has_text="Approved").wait_for()
    snap("approved")
    assert site.marker(page) == marker, "approving reloaded the page"
