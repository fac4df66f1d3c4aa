"""Review (edit, approve, reject, regenerate, bulk) and the outbox (exactly-once sending)."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, DraftEvent, EmailDraft
from campaigns.services import (
    DraftStateError,
    campaign_send_approved,
    draft_approve,
    draft_edit,
    draft_generate,
    draft_regenerate,
    draft_reject,
    draft_send,
    drafts_approve_bulk,
    drafts_recover_stalled,
    drafts_send_request,
)
from campaigns.tasks import draft_send as draft_send_task
from campaigns.tests import backends
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
Status = EmailDraft.Status


def test_edit_keeps_the_original_next_to_the_edit(pending_draft, marketer_user):
    original = pending_draft.body
    draft_edit(
        draft_id=pending_draft.pk, user=marketer_user, subject="New subject", body="New body"
    )

    pending_draft.refresh_from_db()
    assert (pending_draft.subject, pending_draft.body) == ("New subject", "New body")
    assert pending_draft.original_body == original
    assert pending_draft.is_edited
    event = pending_draft.events.get(kind="edited")
    assert event.actor == marketer_user
    assert event.changes["body"] == [original, "New body"]


def test_edits_are_validated_too(pending_draft, marketer_user):
    with pytest.raises(ValidationError, match="HTML or script"):
        draft_edit(
            draft_id=pending_draft.pk,
            user=marketer_user,
            subject="x",
            body="<script>alert(1)</script>",
        )


def test_approve_records_reviewer_and_time(pending_draft, marketer_user):
    draft_approve(draft_id=pending_draft.pk, user=marketer_user)

    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.APPROVED
    assert pending_draft.reviewed_by == marketer_user
    assert pending_draft.reviewed_at is not None
    with pytest.raises(DraftStateError, match="approved by marketer-user"):
        draft_approve(draft_id=pending_draft.pk, user=marketer_user)
    with pytest.raises(DraftStateError):
        draft_edit(draft_id=pending_draft.pk, user=marketer_user, subject="a", body="b")


def test_reject_needs_a_reason(pending_draft, marketer_user):
    with pytest.raises(ValidationError):
        draft_reject(draft_id=pending_draft.pk, user=marketer_user, reason="  ")

    draft_reject(draft_id=pending_draft.pk, user=marketer_user, reason="Too pushy")

    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.REJECTED
    assert pending_draft.rejection_reason == "Too pushy"
    pending_draft.campaign.refresh_from_db()
    assert pending_draft.campaign.status == Campaign.Status.DONE  # its only draft is final


def test_regenerate_keeps_the_history(
    pending_draft, marketer_user, django_capture_on_commit_callbacks
):
    draft_edit(draft_id=pending_draft.pk, user=marketer_user, subject="Edited", body="Edited body")
    draft_reject(draft_id=pending_draft.pk, user=marketer_user, reason="Off tone")

    with django_capture_on_commit_callbacks() as callbacks:
        draft_regenerate(draft_id=pending_draft.pk, user=marketer_user)
    assert len(callbacks) == 1

    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.QUEUED
    assert pending_draft.rejection_reason == ""
    event = pending_draft.events.get(kind="regenerate")
    assert event.changes["previous"]["subject"] == "Edited"
    assert event.changes["previous"]["rejection_reason"] == "Off tone"
    pending_draft.campaign.refresh_from_db()
    assert pending_draft.campaign.status == Campaign.Status.ACTIVE  # reopened

    draft_generate(draft_id=pending_draft.pk)
    pending_draft.refresh_from_db()
    assert pending_draft.status == Status.PENDING_REVIEW
    assert pending_draft.generation == 2
    assert pending_draft.subject != "Edited"


def test_bulk_approve_skips_what_is_not_pending(pending_draft, make_draft, marketer_user):
    queued = make_draft()

    result = drafts_approve_bulk(
        draft_ids=[pending_draft.pk, queued.pk, 999999], user=marketer_user
    )

    assert result["approved"] == [pending_draft.pk]
    assert {pk for pk, _ in result["skipped"]} == {queued.pk, 999999}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_approving_at_once_give_one_approval(
    make_draft, scored_customer, make_user, monkeypatch
):
    """Real threads on their own database connections. On PostgreSQL the row lock orders
    them; on SQLite the IMMEDIATE transactions do. The delay inside the locked section makes
    the race window wide: without the lock both would read "pending review" and approve."""
    draft = make_draft(scored_customer)
    draft_generate(draft_id=draft.pk)
    reviewers = [make_user(None, username="rev-a"), make_user(None, username="rev-b")]
    barrier = threading.Barrier(2)
    locked_draft = services._locked_draft

    def slow_locked_draft(draft_id):
        found = locked_draft(draft_id)
        threading.Event().wait(0.3)
        return found

    monkeypatch.setattr(services, "_locked_draft", slow_locked_draft)
    results = []

    def approve(user):
        try:
            barrier.wait()
            draft_approve(draft_id=draft.pk, user=user)
            results.append("approved")
        except DraftStateError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["approved", "refused"]
    assert DraftEvent.objects.filter(draft=draft, kind="approved").count() == 1


def _approved(pending_draft, user):
    draft_approve(draft_id=pending_draft.pk, user=user)
    drafts_send_request(draft_ids=[pending_draft.pk], user=user)
    pending_draft.refresh_from_db()
    return pending_draft


def test_sending_twice_sends_one_email(pending_draft, marketer_user):
    draft = _approved(pending_draft, marketer_user)
    assert draft.status == Status.SENDING

    assert draft_send(draft_id=draft.pk).result == "sent"
    assert draft_send(draft_id=draft.pk).result == "skipped"
    assert draft_send_task.apply(args=[draft.pk]).get() == "skipped"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [draft.customer.email]
    assert message.subject == draft.subject
    assert message.extra_headers["X-GrowthAI-Draft"] == str(draft.pk)
    assert (
        message.extra_headers["List-Unsubscribe"]
        == "<mailto:retention@example.com?subject=unsubscribe>"
    )
    # The draft as reviewed, then the unsubscribe line no edit can drop.
    assert message.body == (
        draft.body + '\n\n--\nTo stop receiving these emails, reply with "unsubscribe" in the '
        "subject or write to retention@example.com."
    )
    draft.refresh_from_db()
    assert draft.status == Status.SENT and draft.sent_at is not None
    assert draft.campaign.__class__.objects.get(pk=draft.campaign_id).status == "done"


def test_only_approved_drafts_enter_the_outbox(pending_draft, marketer_user):
    assert drafts_send_request(draft_ids=[pending_draft.pk], user=marketer_user) == 0
    assert draft_send(draft_id=pending_draft.pk).result == "skipped"
    assert mail.outbox == []


def test_campaign_send_approved_twice_queues_once(pending_draft, marketer_user):
    draft_approve(draft_id=pending_draft.pk, user=marketer_user)

    assert campaign_send_approved(campaign_id=pending_draft.campaign_id, user=marketer_user) == 1
    with pytest.raises(services.CampaignActionError):
        campaign_send_approved(campaign_id=pending_draft.campaign_id, user=marketer_user)
    assert DraftEvent.objects.filter(draft=pending_draft, kind="send_requested").count() == 1


def test_opted_out_customers_are_never_emailed(pending_draft, marketer_user):
    draft = _approved(pending_draft, marketer_user)
    draft.customer.email_opt_out = True
    draft.customer.save()

    assert draft_send(draft_id=draft.pk).result == "skipped"

    draft.refresh_from_db()
    assert draft.status == Status.SKIPPED
    assert "opted out" in draft.error
    assert mail.outbox == []


def test_transient_smtp_errors_are_retried_with_backoff_then_sent(
    pending_draft, marketer_user, settings
):
    settings.CAMPAIGN_EMAIL_BACKEND = "campaigns.tests.backends.FlakyBackend"
    settings.CAMPAIGN_SEND_RETRY_BASE_SECONDS = 10
    backends.FlakyBackend.errors = [backends.transient(), TimeoutError("timed out")]
    draft = _approved(pending_draft, marketer_user)

    first = draft_send(draft_id=draft.pk)
    assert first.result == "retry" and 10 <= first.retry_in <= 12.5
    second = draft_send(draft_id=draft.pk)
    assert second.result == "retry" and 20 <= second.retry_in <= 25
    assert draft_send(draft_id=draft.pk).result == "sent"

    assert len(mail.outbox) == 1
    assert DraftEvent.objects.filter(draft=draft, kind="send_retry").count() == 2


def test_send_gives_up_visibly_after_the_last_attempt(pending_draft, marketer_user, settings):
    settings.CAMPAIGN_EMAIL_BACKEND = "campaigns.tests.backends.FlakyBackend"
    settings.CAMPAIGN_SEND_MAX_ATTEMPTS = 2
    backends.FlakyBackend.errors = [backends.transient(), backends.transient()]
    draft = _approved(pending_draft, marketer_user)

    # Eager: the task's retries run in-process.
    draft_send_task.apply(args=[draft.pk])

    draft.refresh_from_db()
    assert draft.status == Status.FAILED
    assert "after 2 attempt(s)" in draft.error
    assert mail.outbox == []


def test_a_permanent_smtp_error_fails_at_once(pending_draft, marketer_user, settings):
    settings.CAMPAIGN_EMAIL_BACKEND = "campaigns.tests.backends.FlakyBackend"
    backends.FlakyBackend.errors = [backends.permanent()]
    draft = _approved(pending_draft, marketer_user)

    assert draft_send(draft_id=draft.pk).result == "failed"
    draft.refresh_from_db()
    assert draft.status == Status.FAILED and "for good" in draft.error


def test_a_send_cut_off_mid_way_is_never_sent_twice(pending_draft, marketer_user, settings):
    draft = _approved(pending_draft, marketer_user)
    # A worker claimed the send and died before stamping it.
    claimed = timezone.now() - dt.timedelta(
        seconds=settings.CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS + 1
    )
    EmailDraft.objects.filter(pk=draft.pk).update(send_claimed_at=claimed)

    counts = drafts_recover_stalled()

    assert counts["send_unknown"] == 1
    draft.refresh_from_db()
    assert draft.status == Status.FAILED
    assert "may or may not have gone out" in draft.error
    assert draft_send(draft_id=draft.pk).result == "skipped"
    assert mail.outbox == []


def test_an_in_progress_send_is_left_alone(pending_draft, marketer_user):
    draft = _approved(pending_draft, marketer_user)
    EmailDraft.objects.filter(pk=draft.pk).update(send_claimed_at=timezone.now())

    assert draft_send(draft_id=draft.pk).result == "skipped"
    assert mail.outbox == []


def test_a_customer_without_address_is_skipped(make_draft, marketer_user):
    customer = CustomerFactory(email="")
    draft = make_draft(customer)
    draft_generate(draft_id=draft.pk)
    draft = _approved(EmailDraft.objects.get(pk=draft.pk), marketer_user)

    assert draft_send(draft_id=draft.pk).result == "skipped"
    assert mail.outbox == []
