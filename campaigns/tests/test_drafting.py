"""Drafting services: campaigns, claims, the template provider, recovery, ad-hoc drafts."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, DraftEvent, EmailDraft, Provider
from campaigns.providers.template import TemplateProvider
from campaigns.services import (
    CampaignActionError,
    campaign_create,
    campaign_start_drafting,
    draft_generate,
    draft_generate_for_customer,
    drafts_recover_stalled,
    offer_for_prediction,
)
from campaigns.tests.conftest import make_score
from customers.tests.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db
Status = EmailDraft.Status


def test_template_provider_is_deterministic_and_grounded(pending_draft):
    context = pending_draft.context
    first = TemplateProvider().write(context)
    second = TemplateProvider().write(context)

    assert first == second
    assert first.subject.startswith("Anna, ")
    assert "Two months free" in first.body or "two months free" in first.body
    assert "contact our support team recently" in first.body  # the support driver
    assert pending_draft.provider == Provider.TEMPLATE
    assert pending_draft.is_offline_template


def test_drafting_works_without_score_or_recommendations(make_draft):
    draft = make_draft(CustomerFactory(name="Nobody Scored"))

    assert draft_generate(draft_id=draft.pk).result == "drafted"
    draft.refresh_from_db()
    assert draft.status == Status.PENDING_REVIEW
    assert draft.context["churn"] is None
    assert draft.context["recommendations"] == {"products": [], "content": []}
    assert draft.context["offer"]["risk_class"] == "unknown"
    assert draft.churn_probability is None


def test_a_failing_recommendation_engine_does_not_stop_drafting(make_draft, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("catalogue exploded")

    monkeypatch.setattr("recommendations.services.recommend_for_customer", broken)
    draft = make_draft()

    assert draft_generate(draft_id=draft.pk).result == "drafted"


def test_campaign_offer_overrides_the_rules(make_campaign, make_draft, scored_customer):
    campaign = make_campaign(status="active", offer="Free upgrade to Premium\nFor six months.")
    draft = make_draft(scored_customer, campaign=campaign)
    draft_generate(draft_id=draft.pk)
    draft.refresh_from_db()

    assert draft.offer == "Free upgrade to Premium"
    assert draft.context["offer"]["source"] == "campaign"


def test_generating_twice_drafts_once(make_draft):
    draft = make_draft()

    assert draft_generate(draft_id=draft.pk, task_id="a").result == "drafted"
    assert draft_generate(draft_id=draft.pk, task_id="b").result == "skipped"
    assert DraftEvent.objects.filter(draft=draft, kind="drafted").count() == 1


def test_a_draft_another_worker_holds_is_left_alone(make_draft):
    draft = make_draft(status=Status.DRAFTING, claimed_at=timezone.now(), claim_task_id="other")

    assert draft_generate(draft_id=draft.pk, task_id="mine").result == "skipped"
    draft.refresh_from_db()
    assert draft.status == Status.DRAFTING and draft.claim_task_id == "other"


def test_the_redelivered_message_of_a_dead_run_takes_over(make_draft):
    draft = make_draft(status=Status.DRAFTING, claimed_at=timezone.now(), claim_task_id="same")

    assert draft_generate(draft_id=draft.pk, task_id="same").result == "drafted"
    event = DraftEvent.objects.get(draft=draft, kind="claimed")
    assert "Taken over" in event.note


def test_a_stale_claim_is_taken_over(make_draft, settings):
    old = timezone.now() - dt.timedelta(seconds=settings.DRAFT_CLAIM_TIMEOUT_SECONDS + 5)
    draft = make_draft(status=Status.DRAFTING, claimed_at=old, claim_task_id="dead")

    assert draft_generate(draft_id=draft.pk, task_id="new").result == "drafted"


def test_a_run_whose_claim_was_taken_over_does_not_stamp(make_draft, monkeypatch):
    """A slow run that lost its claim mid-call must not overwrite the new run's draft."""
    draft = make_draft()

    def slow_write(self, context):
        # Meanwhile the draft is taken over by someone else.
        EmailDraft.objects.filter(pk=draft.pk).update(claim_task_id="thief")
        return original(self, context)

    original = TemplateProvider.write
    monkeypatch.setattr(TemplateProvider, "write", slow_write)

    assert draft_generate(draft_id=draft.pk, task_id="slow").result == "skipped"
    draft.refresh_from_db()
    assert draft.status == Status.DRAFTING and draft.subject == ""


def test_recovery_requeues_stalled_drafts_and_resends_lost_messages(make_draft, settings):
    now = timezone.now()
    stalled = make_draft(
        status=Status.DRAFTING,
        claimed_at=now - dt.timedelta(seconds=settings.DRAFT_CLAIM_TIMEOUT_SECONDS + 1),
    )
    busy = make_draft(status=Status.DRAFTING, claimed_at=now)
    make_draft(  # queued, its message lost long ago
        enqueued_at=now - dt.timedelta(seconds=settings.DRAFT_REQUEUE_AFTER_SECONDS + 1)
    )
    fresh = make_draft()

    counts = drafts_recover_stalled(now=now)

    assert counts["requeued"] == 1 and counts["resent_messages"] == 1
    stalled.refresh_from_db()
    busy.refresh_from_db()
    assert stalled.status == Status.QUEUED and stalled.claimed_at is None
    assert busy.status == Status.DRAFTING
    assert DraftEvent.objects.filter(draft=stalled, kind="recovered").count() == 1
    assert not DraftEvent.objects.filter(draft=fresh).exists()


def test_campaign_targets_segment_and_risk_riskiest_first(marketer_user):
    consumer, business = SegmentFactory(name="Consumer"), SegmentFactory(name="Business")
    high = CustomerFactory(segment=consumer)
    higher = CustomerFactory(segment=consumer)
    low = CustomerFactory(segment=consumer)
    opted_out = CustomerFactory(segment=consumer, email_opt_out=True)
    no_email = CustomerFactory(segment=consumer, email="")
    other_segment = CustomerFactory(segment=business)
    already_gone = CustomerFactory(segment=consumer, churned=True)
    make_score(high, probability=0.7)
    make_score(higher, probability=0.9)
    make_score(low, probability=0.1, risk="low")
    for customer in (opted_out, no_email, other_segment, already_gone):
        make_score(customer, probability=0.95)

    campaign = campaign_create(
        name="High risk consumers",
        user=marketer_user,
        segments=[consumer],
        risk_class="high",
        max_recipients=5,
    )
    assert campaign.provider == Provider.TEMPLATE  # no GEMINI_API_KEY in tests

    assert campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user) == 2
    drafts = list(campaign.drafts.order_by("-churn_probability"))
    assert [d.customer for d in drafts] == [higher, high]
    assert all(d.status == Status.QUEUED for d in drafts)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    with pytest.raises(CampaignActionError):
        campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user)


def test_max_recipients_and_min_probability(marketer_user):
    customers = [CustomerFactory() for _ in range(5)]
    for i, customer in enumerate(customers):
        make_score(customer, probability=0.5 + i / 10, risk="medium")
    campaign = campaign_create(
        name="Top two", user=marketer_user, min_probability=0.55, max_recipients=2
    )

    campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user)

    assert set(campaign.drafts.values_list("customer", flat=True)) == {
        customers[4].pk,
        customers[3].pk,
    }


def test_starting_a_campaign_that_matches_nobody_says_so(marketer_user):
    campaign = campaign_create(name="Empty", user=marketer_user, risk_class="high")

    with pytest.raises(CampaignActionError, match="No customer matches"):
        campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user)


def test_gemini_provider_needs_a_key(marketer_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        campaign_create(name="x", user=marketer_user, provider=Provider.GEMINI)


def test_adhoc_draft_for_one_customer(
    scored_customer, marketer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        draft = draft_generate_for_customer(customer_id=scored_customer.pk, user=marketer_user)

    assert len(callbacks) == 1  # the drafting task is published on commit
    assert draft.status == Status.QUEUED
    assert draft.campaign.kind == Campaign.Kind.ADHOC
    assert draft.risk_class == "high"
    # A second click while it is on its way returns the same draft.
    again = draft_generate_for_customer(customer_id=scored_customer.pk, user=marketer_user)
    assert again.pk == draft.pk
    draft_generate(draft_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == Status.PENDING_REVIEW


def test_adhoc_draft_into_an_existing_campaign(scored_customer, marketer_user, make_campaign):
    campaign = make_campaign()
    draft = draft_generate_for_customer(
        customer_id=scored_customer.pk, user=marketer_user, campaign_id=campaign.pk
    )

    assert draft.campaign == campaign
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


def test_adhoc_draft_refuses_opted_out_customers(marketer_user):
    customer = CustomerFactory(email_opt_out=True)

    with pytest.raises(CampaignActionError, match="opted out"):
        draft_generate_for_customer(customer_id=customer.pk, user=marketer_user)
    assert not EmailDraft.objects.exists()


@pytest.mark.parametrize(
    ("probability", "risk", "drivers", "kind"),
    [
        (0.9, "high", [{"feature": "contract", "direction": "raises"}], "plan_switch"),
        (0.9, "high", [{"label": "Monthly charges", "direction": "raises"}], "discount"),
        (0.5, "medium", [{"text": "Support tickets = 5 raises risk"}], "service"),
        (0.1, "low", [], "loyalty"),
        (None, None, [], "discount"),
    ],
)
def test_offer_for_prediction(probability, risk, drivers, kind):
    offer = offer_for_prediction(
        probability=probability, risk_class=risk, drivers=drivers, profile={"name": "Ann Lee"}
    )

    assert offer["kind"] == kind
    assert offer["headline"] and offer["rationale"]
    assert offer["message"].startswith("Ann,")


def test_a_former_customer_is_offered_a_way_back_whatever_their_risk():
    offer = offer_for_prediction(
        probability=0.9,
        risk_class="high",
        drivers=[{"feature": "contract", "direction": "raises"}],
        profile={"name": "Ann Lee", "former_customer": True},
    )

    assert offer["kind"] == "winback"
    assert offer["headline"] == "30% off your first 3 months back with us"
    assert offer["rationale"].startswith("Already churned")
    assert offer["message"].startswith("Ann, we have missed you")


def test_a_draft_for_a_former_customer_is_a_win_back_email(make_draft):
    customer = CustomerFactory(name="Anna Smith", plan="Monthly", tenure_months=7, churned=True)
    make_score(
        customer,
        drivers=[
            {"feature": "days_since_last_activity", "direction": "raises"},
            {"feature": "support_tickets", "direction": "raises"},
        ],
    )
    draft = make_draft(customer)

    assert draft_generate(draft_id=draft.pk).result == "drafted"
    draft.refresh_from_db()
    assert draft.context["customer"]["former_customer"] is True
    assert draft.context["offer"]["kind"] == "winback"
    assert "We have missed you since you left. You were with us for 7 months on the Monthly " in (
        draft.body
    )
    assert "To welcome you back, here is an offer just for you: 30% off" in draft.body
    assert "Thank you for being with us" not in draft.body
    # The drivers, in words for someone who has left: "missed you" is said only once.
    assert "A lot has improved since your last visit." in draft.body
    assert "contact our support team before you left" in draft.body
    assert draft.body.count("missed you") == 1
    assert draft.subject == "Anna, 30% off your first 3 months back with us"


def test_a_current_customers_draft_thanks_them_for_staying(pending_draft):
    assert pending_draft.context["customer"]["former_customer"] is False
    assert "Thank you for being with us for the past 7 months on the Monthly plan." in (
        pending_draft.body
    )
    assert "As a thank-you, here is an offer just for you: Two months free" in pending_draft.body
    assert "missed you" not in pending_draft.body


def test_offer_ignores_drivers_that_lower_risk():
    offer = offer_for_prediction(
        probability=0.9,
        risk_class="high",
        drivers=[{"feature": "contract", "direction": "lowers"}],
        profile={},
    )
    assert offer["kind"] == "discount"


def test_template_provider_names_recommended_content_as_quoted_titles(pending_draft):
    context = dict(pending_draft.context)
    context["recommendations"] = {
        "products": [{"name": "Trail Shoe", "reason": ""}],
        "content": [
            {"name": "Podcast: recovering from hard workouts", "reason": ""},
            {"name": "Watch: a guide to smart homes", "reason": ""},
        ],
    }
    body = TemplateProvider().write(context).body

    assert "Picked for you: Trail Shoe." in body
    assert (
        "You might also like \u201cPodcast: recovering from hard workouts\u201d and "
        "\u201cWatch: a guide to smart homes\u201d." in body
    )
    assert "reading" not in body  # a podcast is not read
