"""Signing in as each role through the login form; navigation and 403s per role."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from campaigns.models import Campaign, EmailDraft, Provider
from customers.tests.factories import CustomerFactory, UserFactory
from growthai.roles import NAVIGATION, Role

pytestmark = pytest.mark.browser


def expected_nav(role: Role) -> set[str]:
    """What the navigation should list for ``role``, from the one table that defines it."""
    labels = set()
    for label, url_name, allowed in NAVIGATION:
        if role in set(allowed):
            try:
                reverse(url_name)
            except NoReverseMatch:
                continue
            labels.add(label)
    return labels


@pytest.fixture
def users(site):
    return {role: UserFactory(username=f"{role.value.lower()}-b", role=role) for role in Role}


@pytest.fixture
def pending_draft(users):
    campaign = Campaign.objects.create(
        name="Spring win-back",
        provider=Provider.TEMPLATE,
        status=Campaign.Status.ACTIVE,
        created_by=users[Role.MARKETER],
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


def assert_forbidden(page, site, path: str) -> None:
    response = page.goto(site(path))
    assert response.status == 403, f"{path} answered {response.status}"
    assert page.locator("h1").inner_text() == "You can't open this page"


def test_each_role_signs_in_and_sees_only_its_navigation(site, page, snap, users, pending_draft):
    for role in (Role.MARKETER, Role.MANAGER, Role.ADMIN):
        site.sign_in(page, users[role].username)
        snap(f"{role.value}-signed-in")
        assert f"{users[role].username} · {role.value}" in page.locator(".userbox").inner_text()
        labels = site.nav_labels(page)
        nav = set(labels) - {"Admin site"}
        assert nav == expected_nav(role), (role, labels)
        assert ("Admin site" in labels) == (role is Role.ADMIN)
        # One row at 1280 px (the page's viewport), even with the Admin's nine entries.
        tops = {round(link.bounding_box()["y"]) for link in page.locator("nav.mainnav a").all()}
        assert len(tops) == 1, (role, "the navigation wraps")
        if role is Role.MARKETER:
            assert "Churn models" not in nav and "Imports" not in nav
            assert {"Campaigns", "Review queue"} <= nav
        elif role is Role.MANAGER:
            assert "Imports" not in nav and "Churn models" in nav
        else:
            assert {"Imports", "Churn models", "Campaigns", "Review queue"} <= nav
        # Every entry the navigation offers opens.
        for label in sorted(nav):
            with page.expect_navigation():
                page.locator("nav.mainnav").get_by_role("link", name=label, exact=True).click()
            assert page.locator("h1").first.inner_text() != "You can't open this page", label
        site.sign_out(page)
        assert page.locator("nav.mainnav").count() == 0


def test_marketer_gets_403_on_models_and_imports(site, page, snap, users):
    site.sign_in(page, users[Role.MARKETER].username)
    assert_forbidden(page, site, reverse("scoring:model_list"))
    snap("marketer-403-models")
    assert_forbidden(page, site, reverse("customers:import_list"))


def test_manager_reads_the_review_queue_without_approving(site, page, snap, users, pending_draft):
    """Managers see campaigns and the queue read-only (campaigns.views.VIEWERS vs EDITORS)."""
    site.sign_in(page, users[Role.MANAGER].username)
    page.goto(site(reverse("campaigns:review_queue")))
    snap("manager-review-queue")
    assert page.locator("h1").inner_text() == "Review queue"
    assert "approving is for Marketers" in page.locator(".page-header").inner_text()
    assert page.get_by_text("We miss you, Anna").count() == 1
    assert page.get_by_role("button", name="Approve selected").count() == 0
    assert page.locator("input[name=draft]").count() == 0

    page.get_by_role("link", name="Anna Smith").click()
    page.wait_for_url(f"**{reverse('campaigns:draft_detail', args=[pending_draft.pk])}")
    snap("manager-draft-read-only")
    assert page.locator("dd.email-subject").inner_text() == "We miss you, Anna"
    for name in ("Approve", "Edit", "Send now", "Write again"):
        assert page.get_by_role("button", name=name, exact=True).count() == 0, name
    assert page.get_by_role("link", name="Edit", exact=True).count() == 0

    assert_forbidden(page, site, reverse("customers:import_list"))
    snap("manager-403-imports")
