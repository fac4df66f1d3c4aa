"""Campaign pages, the review queue and the draft page, as each role sees them."""

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import Campaign, DraftEvent, EmailDraft
from campaigns.services import draft_approve
from campaigns.tests.conftest import make_score
from conftest import PASSWORD
from customers.tests.factories import CustomerFactory, SegmentFactory
from growthai.roles import Role

pytestmark = pytest.mark.django_db
Status = EmailDraft.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str) -> dict:
    return {**HTMX, "HTTP_HX_TARGET": target}


def test_campaign_list_empty_state_and_create_link(client_as):
    page = client_as(Role.MARKETER).get(reverse("campaigns:campaign_list")).content.decode()
    assert "No campaigns yet" in page
    assert reverse("campaigns:campaign_create") in page


def test_managers_see_campaigns_without_create_buttons(client_as, make_campaign):
    make_campaign(name="Spring win-back")
    page = client_as(Role.MANAGER).get(reverse("campaigns:campaign_list")).content.decode()
    assert "Spring win-back" in page
    assert reverse("campaigns:campaign_create") not in page


def test_campaign_list_paginates(client_as, make_campaign):
    for i in range(23):
        make_campaign(name=f"Campaign {i:02d}")
    client = client_as(Role.MARKETER)
    first = client.get(reverse("campaigns:campaign_list")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("campaigns:campaign_list") + "?page=2", **HTMX)
    assert b"<html" not in second.content and b"Page 2 of 2" in second.content


def test_create_form_shows_the_recipient_count(client_as):
    for _ in range(3):
        CustomerFactory()
    CustomerFactory(email_opt_out=True)
    CustomerFactory(churned=True)
    CustomerFactory(churned=None)  # not known yet: still a customer
    page = client_as(Role.MARKETER).get(reverse("campaigns:campaign_create")).content.decode()
    assert 'id="recipient-count"' in page
    assert "<strong>4</strong> recipients" in page
    assert "1 more match but opted out" in page
    assert "1 matching customer has already churned and is left out." in page
    assert "Offline template draft — no AI" in page  # no key configured


def test_live_recipient_count_follows_the_target(client_as):
    consumer, business = SegmentFactory(name="Consumer"), SegmentFactory(name="Business")
    for customer in [CustomerFactory(segment=consumer) for _ in range(3)]:
        make_score(customer, probability=0.9)
    CustomerFactory(segment=business)
    client = client_as(Role.MARKETER)
    url = reverse("campaigns:recipient_preview")

    partial = client.get(url, {"segments": [consumer.pk], "risk_class": "high"}, **HTMX)
    assert b"<html" not in partial.content
    assert b"<strong>3</strong> recipients" in partial.content
    capped = client.get(url, {"segments": [consumer.pk], "max_recipients": 2}, **HTMX)
    assert b"<strong>2</strong> recipients" in capped.content
    assert b"3 customers match" in capped.content
    # The same URL without htmx is a page of its own.
    full = client.get(url, {"segments": [business.pk]})
    assert b"<html" in full.content and b"<strong>1</strong> recipient" in full.content


def test_create_campaign(client_as):
    segment = SegmentFactory(name="Consumer")
    response = client_as(Role.MARKETER).post(
        reverse("campaigns:campaign_create"),
        {
            "name": "Keep them",
            "segments": [segment.pk],
            "risk_class": "high",
            "provider": "template",
        },
    )
    campaign = Campaign.objects.get(name="Keep them")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
    assert list(campaign.segments.all()) == [segment]
    assert campaign.risk_class == "high"


def test_create_campaign_errors_are_shown(client_as):
    response = client_as(Role.MARKETER).post(
        reverse("campaigns:campaign_create"), {"name": "", "min_probability": "3"}
    )
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert b"less than or equal to 1" in response.content
    assert not Campaign.objects.exists()


def test_start_drafting_from_the_campaign_page(
    client_as, make_campaign, django_capture_on_commit_callbacks
):
    for _ in range(2):
        CustomerFactory()
    campaign = make_campaign()
    client = client_as(Role.MARKETER)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("campaigns:campaign_start", args=[campaign.pk]), follow=True)
    assert len(callbacks) == 1
    assert b"2 drafts queued" in response.content
    assert campaign.drafts.count() == 2
    # While drafts are queued the counts poll; the link is a real one too.
    counts = client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk]), **htmx("campaign-counts")
    ).content.decode()
    assert 'hx-trigger="every 2s"' in counts
    assert "<html" not in counts


def test_counts_stop_polling_when_the_campaign_is_done(client_as, pending_draft, marketer_user):
    from campaigns.services import draft_reject

    draft_reject(draft_id=pending_draft.pk, user=marketer_user, reason="no")
    counts = (
        client_as(Role.MARKETER)
        .get(
            reverse("campaigns:campaign_detail", args=[pending_draft.campaign_id]),
            **htmx("campaign-counts"),
        )
        .content.decode()
    )
    assert "every 2s" not in counts
    assert "Done" in counts


def test_campaign_drafts_filter_by_status(client_as, pending_draft, make_draft):
    queued = make_draft(campaign=pending_draft.campaign)
    client = client_as(Role.MANAGER)
    url = reverse("campaigns:campaign_detail", args=[pending_draft.campaign_id])
    page = client.get(url, {"status": "queued"}, **htmx("campaign-drafts")).content.decode()
    assert reverse("campaigns:draft_detail", args=[queued.pk]) in page
    assert reverse("campaigns:draft_detail", args=[pending_draft.pk]) not in page


def test_send_approved_from_the_campaign_page(client_as, pending_draft, marketer_user):
    draft_approve(draft_id=pending_draft.pk, user=marketer_user)
    client = client_as(Role.MARKETER)
    page = client.get(reverse("campaigns:campaign_detail", args=[pending_draft.campaign_id]))
    assert b"Send 1 approved email" in page.content
    response = client.post(
        reverse("campaigns:campaign_send", args=[pending_draft.campaign_id]), follow=True
    )
    assert b"1 approved email queued" in response.content
    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.SENDING


def test_review_queue_filters_by_campaign_and_risk(client_as, make_campaign, make_draft):
    from campaigns.services import draft_generate

    a, b = make_campaign(name="A", status="active"), make_campaign(name="B", status="active")
    high, low = CustomerFactory(), CustomerFactory()
    make_score(high, probability=0.9, risk="high")
    make_score(low, probability=0.1, risk="low")
    drafts = [make_draft(high, campaign=a), make_draft(low, campaign=b)]
    for draft in drafts:
        draft_generate(draft_id=draft.pk)
    client = client_as(Role.MARKETER)
    url = reverse("campaigns:review_queue")

    everything = client.get(url).content.decode()
    assert all(reverse("campaigns:draft_detail", args=[d.pk]) in everything for d in drafts)
    only_a = client.get(url, {"campaign": a.pk}, **HTMX).content.decode()
    assert "<html" not in only_a
    assert reverse("campaigns:draft_detail", args=[drafts[0].pk]) in only_a
    assert reverse("campaigns:draft_detail", args=[drafts[1].pk]) not in only_a
    only_low = client.get(url, {"risk": "low"}).content.decode()
    assert reverse("campaigns:draft_detail", args=[drafts[1].pk]) in only_low
    assert reverse("campaigns:draft_detail", args=[drafts[0].pk]) not in only_low


def test_review_queue_empty_state(client_as):
    assert (
        b"Nothing to review"
        in client_as(Role.MARKETER).get(reverse("campaigns:review_queue")).content
    )


def test_bulk_approve(client_as, pending_draft, make_draft):
    queued = make_draft()
    response = client_as(Role.MARKETER).post(
        reverse("campaigns:review_bulk_approve"),
        {"draft": [pending_draft.pk, queued.pk], "next": reverse("campaigns:review_queue")},
        follow=True,
    )
    assert b"Approved 1 draft" in response.content
    assert b"1 draft(s) were not approved" in response.content
    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.APPROVED


def test_bulk_approve_ignores_an_outside_next(client_as, pending_draft):
    response = client_as(Role.MARKETER).post(
        reverse("campaigns:review_bulk_approve"),
        {"draft": [pending_draft.pk], "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("campaigns:review_queue")


def test_managers_review_read_only(client_as, pending_draft):
    client = client_as(Role.MANAGER)
    queue = client.get(reverse("campaigns:review_queue")).content.decode()
    assert 'name="draft"' not in queue and "Approve selected" not in queue
    page = client.get(reverse("campaigns:draft_detail", args=[pending_draft.pk])).content.decode()
    for action in ("draft_approve", "draft_reject", "draft_regenerate", "draft_edit"):
        assert reverse(f"campaigns:{action}", args=[pending_draft.pk]) not in page
    for action in ("draft_approve", "draft_reject", "draft_regenerate", "draft_send"):
        assert (
            client.post(reverse(f"campaigns:{action}", args=[pending_draft.pk])).status_code == 403
        )
    assert (
        client.post(
            reverse("campaigns:review_bulk_approve"), {"draft": [pending_draft.pk]}
        ).status_code
        == 403
    )
    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.PENDING_REVIEW


def test_draft_page_shows_context_and_the_offline_label(client_as, pending_draft):
    page = (
        client_as(Role.MARKETER)
        .get(reverse("campaigns:draft_detail", args=[pending_draft.pk]))
        .content.decode()
    )
    assert "Offline template draft — no AI" in page
    assert "Why this customer" in page and "80%" in page
    assert "Contract" in page and "Month-to-month" in page
    assert pending_draft.context["offer"]["headline"] in page
    assert "Approve and review next" not in page  # nothing else is pending


def test_a_draft_for_a_customer_who_has_churned_says_so_in_the_queue_and_on_its_page(
    client_as, pending_draft
):
    client = client_as(Role.MARKETER)
    draft_url = reverse("campaigns:draft_detail", args=[pending_draft.pk])
    assert "Churned" not in client.get(reverse("campaigns:review_queue")).content.decode()
    assert "a former customer" not in client.get(draft_url).content.decode()

    customer = pending_draft.customer
    customer.churned, customer.churned_at = True, dt.date(2026, 9, 17)
    customer.save(update_fields=["churned", "churned_at"])

    queue = client.get(reverse("campaigns:review_queue")).content.decode()
    assert '<span class="badge badge-danger">Churned</span>' in queue
    assert "Churned on 17 Sep 2026 — a former customer" in client.get(draft_url).content.decode()


def test_draft_page_lists_recommended_products_and_content_under_their_own_headings(
    client_as, pending_draft
):
    context = pending_draft.context | {
        "recommendations": {
            "products": [{"name": "Travel Bowl", "reason": "Bought with your leash"}],
            "content": [{"name": "Walking guide", "reason": "Like the articles you read"}],
        }
    }
    EmailDraft.objects.filter(pk=pending_draft.pk).update(context=context)
    page = (
        client_as(Role.MARKETER)
        .get(reverse("campaigns:draft_detail", args=[pending_draft.pk]))
        .content.decode()
    )
    items = page[page.index("Recommended items") :]
    assert items.index("Products") < items.index("Travel Bowl") < items.index("Content")
    assert items.index("Content") < items.index("Walking guide")
    assert "Like the articles you read" in items


def test_draft_text_is_always_escaped(client_as, pending_draft):
    EmailDraft.objects.filter(pk=pending_draft.pk).update(
        subject="<img src=x onerror=alert(1)>", body="Hello <script>alert(1)</script>"
    )
    page = (
        client_as(Role.MANAGER)
        .get(reverse("campaigns:draft_detail", args=[pending_draft.pk]))
        .content.decode()
    )
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_inline_edit_with_htmx(client_as, pending_draft):
    client = client_as(Role.MARKETER)
    url = reverse("campaigns:draft_edit", args=[pending_draft.pk])
    editor = client.get(url, **HTMX).content.decode()
    assert '<form id="draft-text"' in editor and "<html" not in editor
    assert pending_draft.subject in editor

    saved = client.post(
        url, {"subject": "Better subject", "body": "Better body", "offer": "x"}, **HTMX
    )
    assert saved.status_code == 200
    text = saved.content.decode()
    assert '<section id="draft-text"' in text and "Better subject" in text and "Edited" in text
    pending_draft.refresh_from_db()
    assert pending_draft.subject == "Better subject"
    assert DraftEvent.objects.filter(draft=pending_draft, kind="edited").exists()
    # The history comes along out of band, with the new event in it.
    history = text[text.index('<section class="card" id="draft-history"') :]
    assert 'hx-swap-oob="true"' in history.split(">", 1)[0]
    changed = re.search(r"Changed: ([\w, ]+)", history).group(1)
    assert set(changed.split(", ")) == {"subject", "body", "offer"}
    # The full page carries no out-of-band marker.
    page = client.get(reverse("campaigns:draft_detail", args=[pending_draft.pk])).content.decode()
    assert 'id="draft-history"' in page and "hx-swap-oob" not in page


def test_inline_edit_refuses_html_and_keeps_the_form(client_as, pending_draft):
    response = client_as(Role.MARKETER).post(
        reverse("campaigns:draft_edit", args=[pending_draft.pk]),
        {"subject": "x", "body": "<script>x</script>", "offer": ""},
        **HTMX,
    )
    assert response.status_code == 200  # htmx swaps the form back in with the message
    assert b"HTML or script" in response.content
    assert b'<form id="draft-text"' in response.content


def test_edit_page_without_htmx(client_as, pending_draft):
    client = client_as(Role.MARKETER)
    url = reverse("campaigns:draft_edit", args=[pending_draft.pk])
    page = client.get(url)
    assert b"<html" in page.content and b'<form id="draft-text"' in page.content
    response = client.post(url, {"subject": "S", "body": "B", "offer": ""})
    assert response.status_code == 302


def test_approve_reject_regenerate_from_the_draft_page(
    client_as, pending_draft, make_draft, scored_customer
):
    from campaigns.services import draft_generate

    other = make_draft(CustomerFactory(), campaign=pending_draft.campaign)
    draft_generate(draft_id=other.pk)
    client = client_as(Role.MARKETER)
    page = client.get(reverse("campaigns:draft_detail", args=[pending_draft.pk])).content.decode()
    assert "Approve and review next" in page

    response = client.post(
        reverse("campaigns:draft_approve", args=[pending_draft.pk]), {"next_pending": other.pk}
    )
    assert response["Location"] == reverse("campaigns:draft_detail", args=[other.pk])
    again = client.post(reverse("campaigns:draft_approve", args=[pending_draft.pk]), follow=True)
    assert b"cannot be approved: it is approved by" in again.content

    no_reason = client.post(reverse("campaigns:draft_reject", args=[other.pk]), follow=True)
    assert b"Say why" in no_reason.content
    client.post(reverse("campaigns:draft_reject", args=[other.pk]), {"reason": "Wrong tone"})
    other.refresh_from_db()
    assert other.status == Status.REJECTED and other.rejection_reason == "Wrong tone"
    client.post(reverse("campaigns:draft_regenerate", args=[other.pk]))
    other.refresh_from_db()
    assert other.status == Status.QUEUED


def test_a_draft_being_written_polls(client_as, make_draft):
    draft = make_draft()
    page = client_as(Role.MARKETER).get(reverse("campaigns:draft_detail", args=[draft.pk]))
    assert b'hx-trigger="every 2s"' in page.content
    live = client_as(Role.MARKETER).get(
        reverse("campaigns:draft_detail", args=[draft.pk]), **htmx("draft-live")
    )
    assert b"<html" not in live.content and b'id="draft-live"' in live.content


def test_polling_a_finished_draft_reloads_the_whole_page(client_as, pending_draft):
    # The context and actions outside the polled box change when the worker finishes.
    live = client_as(Role.MARKETER).get(
        reverse("campaigns:draft_detail", args=[pending_draft.pk]), **htmx("draft-live")
    )
    assert live.status_code == 200
    assert live["HX-Refresh"] == "true"


def test_prediction_and_offer_page(client_as, scored_customer):
    page = (
        client_as(Role.MANAGER)
        .get(reverse("campaigns:customer_retention", args=[scored_customer.pk]))
        .content.decode()
    )
    assert "80%" in page and "High risk" in page
    assert "Two months free" in page
    assert "Anna," in page  # the offer message addresses the customer
    assert reverse("campaigns:customer_draft", args=[scored_customer.pk]) not in page  # manager


def test_draft_a_retention_email_button(client_as, scored_customer):
    client = client_as(Role.MARKETER)
    page = client.get(reverse("campaigns:customer_retention", args=[scored_customer.pk]))
    assert b"Draft a retention email" in page.content
    response = client.post(reverse("campaigns:customer_draft", args=[scored_customer.pk]))
    draft = EmailDraft.objects.get(customer=scored_customer)
    assert response["Location"] == reverse("campaigns:draft_detail", args=[draft.pk])
    assert draft.campaign.kind == Campaign.Kind.ADHOC


def test_draft_button_refuses_opted_out_customers(client_as):
    customer = CustomerFactory(email_opt_out=True)
    response = client_as(Role.MARKETER).post(
        reverse("campaigns:customer_draft", args=[customer.pk]), follow=True
    )
    assert b"opted out of email" in response.content
    assert not EmailDraft.objects.exists()


def test_unknown_ids_are_404(client_as):
    client = client_as(Role.MARKETER)
    assert client.get(reverse("campaigns:draft_detail", args=[9999])).status_code == 404
    assert client.get(reverse("campaigns:campaign_detail", args=[9999])).status_code == 404
    assert client.get(reverse("campaigns:customer_retention", args=[9999])).status_code == 404


def test_retention_panel_tag(marketer_user, scored_customer):
    request = RequestFactory().get("/")
    request.user = marketer_user
    html = Template("{% load campaigns %}{% retention_panel customer %}").render(
        Context({"request": request, "customer": scored_customer, "csrf_token": "t"})
    )
    assert "Draft a retention email" in html
    assert reverse("campaigns:customer_retention", args=[scored_customer.pk]) in html
    assert "already churned" not in html

    scored_customer.churned = True
    scored_customer.save(update_fields=["churned"])
    html = Template("{% load campaigns %}{% retention_panel customer %}").render(
        Context({"request": request, "customer": scored_customer, "csrf_token": "t"})
    )
    assert "Draft a win-back email" in html
    assert "Draft a retention email" not in html
    assert "already churned, so campaigns leave them out" in html


def test_navigation_lists_campaigns_and_the_review_queue(client_as):
    page = client_as(Role.MARKETER).get(reverse("campaigns:campaign_list")).content.decode()
    assert f'href="{reverse("campaigns:review_queue")}"' in page


def test_approving_after_the_session_ended_lands_on_a_page_that_says_nothing_was_done(
    client, pending_draft, marketer_user
):
    approve = reverse("campaigns:draft_approve", args=[pending_draft.pk])
    signed_out = client.post(approve)
    assert signed_out.status_code == 302
    login_url = signed_out["Location"]
    assert login_url.startswith(reverse("login"))

    # The sign-in page sends the browser back to the action's address, with a GET.
    signed_in = client.post(
        login_url, {"username": marketer_user.username, "password": PASSWORD}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == approve
    assert signed_in.status_code == 405
    assert signed_in["Allow"] == "POST"
    page = signed_in.content.decode()
    assert "Nothing was done" in page
    assert f'href="{reverse("campaigns:draft_detail", args=[pending_draft.pk])}"' in page
    pending_draft.refresh_from_db()
    assert pending_draft.status == EmailDraft.Status.PENDING_REVIEW
