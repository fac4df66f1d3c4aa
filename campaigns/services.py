"""Writes of the campaigns app: campaigns, drafting, review, sending, recovery.

Every state change follows one pattern: lock the row (``select_for_update``), re-check its
status under the lock, act, stamp the new status and a ``DraftEvent`` in the same
transaction. Two reviewers, two workers, or a redelivered task message therefore find the
work already done and change nothing.

Slow work (the language model, the SMTP server) never runs under a lock. A worker first
*claims* a draft (status and claim time, committed), works, then stamps the result only if
its claim still stands. A claim older than DRAFT_CLAIM_TIMEOUT_SECONDS belongs to a worker
that died; ``drafts_recover_stalled`` (every minute, Celery beat) queues such drafts again.
This is what makes drafting exactly-once on both brokers: with Redis a SIGKILLed worker's
message comes back only after the visibility timeout, and the filesystem broker loses it.

Sending is at most once: the send claim is committed before the SMTP conversation, so a
worker that dies mid-send leaves a claim behind, and a stale send claim is marked failed
("outcome unknown") instead of being sent a second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from campaigns import integrations, selectors
from campaigns.context import draft_context
from campaigns.models import Campaign, DraftEvent, EmailDraft, Provider
from campaigns.offers import offer_for
from campaigns.providers import (
    DraftProvider,
    ProviderError,
    ProviderTransientError,
    default_provider_name,
    gemini_available,
    provider_for,
)
from campaigns.providers.gemini import client_attempts
from campaigns.validation import DraftRejected, clean_draft
from customers.models import Customer, Segment

logger = logging.getLogger(__name__)

Status = EmailDraft.Status
Event = DraftEvent.Kind
RECOVERY_BATCH = 1000


class CampaignActionError(Exception):
    """An action that cannot be done now; the message tells the user why."""


class DraftStateError(CampaignActionError):
    """The draft is not (or no longer) in a state that allows the action."""


@dataclass(frozen=True)
class DraftOutcome:
    result: str  # drafted, failed, retry, skipped, sent
    retry_in: float | None = None
    note: str = ""


# --- helpers ---------------------------------------------------------------------------


def _event(
    draft: EmailDraft,
    kind: str,
    *,
    from_status: str,
    to_status: str,
    actor=None,
    note: str = "",
    changes: dict | None = None,
    at: dt.datetime | None = None,
) -> DraftEvent:
    return DraftEvent(
        draft=draft,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        note=note[:2000],
        changes=changes or {},
        at=at or timezone.now(),
    )


def _move(
    draft: EmailDraft,
    to_status: str,
    *,
    kind: str,
    fields: Iterable[str] = (),
    actor=None,
    note: str = "",
    changes: dict | None = None,
) -> EmailDraft:
    """Save the draft in ``to_status`` with ``fields``, and log the move. Inside a lock."""
    from_status = draft.status
    draft.status = to_status
    draft.save(update_fields=sorted({"status", "updated_at", *fields}))
    _event(
        draft,
        kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        note=note,
        changes=changes,
    ).save()
    return draft


def _locked_draft(draft_id: int, *, related: bool = True) -> EmailDraft:
    queryset = EmailDraft.objects.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related("campaign", "customer", "customer__segment")
    return queryset.get(pk=draft_id)


def _enqueue(task_name: str, ids: list[int]) -> None:
    """Publish one task message per id once the transaction has committed."""
    if not ids:
        return

    def publish() -> None:
        from campaigns import tasks

        try:
            tasks.enqueue_many(getattr(tasks, task_name), ids)
        except Exception:
            # The rows are committed as queued; the periodic recovery sends them again.
            logger.exception(
                "Could not publish %d %s task(s); recovery will retry", len(ids), task_name
            )

    transaction.on_commit(publish)


def _campaign_settle(campaign_id: int) -> None:
    """Mark an active campaign done once none of its drafts can change any more."""
    with transaction.atomic():
        # The campaign lock serialises two drafts finishing at once, so that the second
        # sees the first one's final status.
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Campaign.Status.ACTIVE:
            return
        if (
            EmailDraft.objects.filter(campaign_id=campaign_id)
            .exclude(status__in=EmailDraft.FINAL)
            .exists()
        ):
            return
        campaign.status = Campaign.Status.DONE
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at", "updated_at"])


def _campaign_reopen(campaign_id: int) -> None:
    Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.DONE).update(
        status=Campaign.Status.ACTIVE, finished_at=None, updated_at=timezone.now()
    )


# --- campaigns -------------------------------------------------------------------------


def campaign_create(
    *,
    name: str,
    user,
    goal: str = "",
    segments: Iterable[Segment] = (),
    risk_class: str = "",
    min_probability: float | None = None,
    max_recipients: int | None = None,
    offer: str = "",
    brand_voice: str = "",
    provider: str | None = None,
) -> Campaign:
    provider = provider or default_provider_name()
    if provider == Provider.GEMINI and not gemini_available():
        raise ValidationError(
            {"provider": "Gemini needs GEMINI_API_KEY; use the offline template."}
        )
    campaign = Campaign(
        name=name,
        goal=goal,
        risk_class=risk_class or "",
        min_probability=min_probability,
        max_recipients=max_recipients,
        offer=offer,
        brand_voice=brand_voice,
        provider=provider,
        created_by=user,
    )
    campaign.full_clean()
    with transaction.atomic():
        campaign.save()
        campaign.segments.set(list(segments))
    return campaign


def campaign_start_drafting(*, campaign_id: int, user) -> int:
    """Create a queued draft for every matching customer and queue the drafting tasks."""
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != Campaign.Status.DRAFT:
            raise CampaignActionError("Drafting has already started for this campaign.")
        already = set(
            EmailDraft.objects.filter(campaign=campaign).values_list("customer_id", flat=True)
        )
        recipients = [
            row
            for row in selectors.campaign_recipients(campaign=campaign).values_list(
                "pk", "churn_probability", "churn_risk"
            )
            if row[0] not in already
        ]
        if not recipients and not already:
            raise CampaignActionError(
                "No customer matches this campaign's target (customers who opted out of email "
                "or have no address are never included)."
            )
        drafts = EmailDraft.objects.bulk_create(
            [
                EmailDraft(
                    campaign=campaign,
                    customer_id=pk,
                    churn_probability=probability,
                    risk_class=risk or "",
                    status=Status.QUEUED,
                    enqueued_at=now,
                )
                for pk, probability, risk in recipients
            ],
            batch_size=500,
        )
        DraftEvent.objects.bulk_create(
            [
                _event(
                    d, Event.CREATED, from_status="", to_status=Status.QUEUED, actor=user, at=now
                )
                for d in drafts
            ],
            batch_size=500,
        )
        campaign.status = Campaign.Status.ACTIVE
        campaign.started_at = now
        campaign.save(update_fields=["status", "started_at", "updated_at"])
        _enqueue("draft_generate", [d.pk for d in drafts])
    return len(drafts)


# --- drafting --------------------------------------------------------------------------


def _claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.DRAFT_CLAIM_TIMEOUT_SECONDS)


def _draft_claim(*, draft_id: int, task_id: str) -> tuple[EmailDraft, dt.datetime] | None:
    now = timezone.now()
    with transaction.atomic():
        draft = (
            EmailDraft.objects.select_for_update(of=("self",))
            .select_related("campaign", "customer", "customer__segment")
            .filter(pk=draft_id)
            .first()
        )
        if draft is None:
            return None
        note = ""
        if draft.status == Status.DRAFTING:
            if task_id and draft.claim_task_id == task_id:
                # The broker handed back the very message that claimed the draft, which it
                # does only when that run's worker died (reject_on_worker_lost).
                note = "Taken over after the worker drafting it stopped."
            elif draft.claimed_at and draft.claimed_at < now - _claim_timeout():
                note = "Taken over from a worker that stopped answering."
            else:
                return None  # another worker is writing it right now
        elif draft.status != Status.QUEUED:
            return None  # done already: a duplicate or late message
        draft.claimed_at = now
        draft.claim_task_id = task_id
        draft.attempts += 1
        _move(
            draft,
            Status.DRAFTING,
            kind=Event.CLAIMED,
            fields=("claimed_at", "claim_task_id", "attempts"),
            note=note,
            changes={"attempt": draft.attempts, "task_id": task_id},
        )
    return draft, now


def _still_ours(draft: EmailDraft, *, claimed_at: dt.datetime, task_id: str) -> bool:
    return (
        draft.status == Status.DRAFTING
        and draft.claimed_at == claimed_at
        and draft.claim_task_id == task_id
    )


def _draft_runs_allowed() -> int:
    return max(1, settings.GEMINI_MAX_ATTEMPTS // client_attempts())


def _retry_delay(runs: int, retry_after: float | None) -> float:
    backoff = min(300.0, settings.GEMINI_RETRY_INITIAL_DELAY * 2 ** (runs + 1))
    backoff *= random.uniform(1.0, 1.5)
    return round(max(backoff, (retry_after or 0) + random.uniform(0, 1)), 2)


def draft_generate(
    *, draft_id: int, task_id: str = "", provider: DraftProvider | None = None
) -> DraftOutcome:
    """Write one draft: claim it, build its context, ask the provider, validate, stamp.

    Returns what happened; ``retry_in`` asks the caller (the Celery task) to run it again
    after that many seconds. Calling it for a draft that is not queued does nothing.
    """
    claim = _draft_claim(draft_id=draft_id, task_id=task_id)
    if claim is None:
        return DraftOutcome("skipped", note="not queued, or another worker holds it")
    draft, claimed_at = claim
    context: dict = {}
    text = None
    try:
        context = draft_context(campaign=draft.campaign, customer=draft.customer)
        writer = provider or provider_for(draft.campaign.provider)
        text = writer.write(context)
        clean = clean_draft(
            subject=text.subject,
            body=text.body,
            offer=text.offer or (context.get("offer") or {}).get("headline", ""),
            customer=draft.customer,
        )
    except ProviderTransientError as exc:
        return _draft_retry_or_fail(
            draft_id=draft_id, claimed_at=claimed_at, task_id=task_id, error=exc
        )
    except DraftRejected as exc:
        return _draft_fail(
            draft_id=draft_id,
            claimed_at=claimed_at,
            task_id=task_id,
            error=f"The written draft was refused: {exc}",
            changes={"refused_text": _refused_text(text)},
        )
    except ProviderError as exc:
        return _draft_fail(
            draft_id=draft_id, claimed_at=claimed_at, task_id=task_id, error=str(exc)
        )
    except Exception as exc:
        logger.exception("Drafting %s failed unexpectedly", draft_id)
        return _draft_fail(
            draft_id=draft_id,
            claimed_at=claimed_at,
            task_id=task_id,
            error=f"Unexpected error while drafting: {exc.__class__.__name__}: {exc}"[:1000],
        )
    return _draft_stamp(
        draft_id=draft_id,
        claimed_at=claimed_at,
        task_id=task_id,
        text=text,
        clean=clean,
        context=context,
    )


def _refused_text(text) -> dict:
    if text is None:
        return {}
    return {
        "subject": str(text.subject)[:300],
        "body": str(text.body)[:3000],
        "offer": str(text.offer)[:500],
    }


def _draft_stamp(*, draft_id, claimed_at, task_id, text, clean, context) -> DraftOutcome:
    with transaction.atomic():
        draft = _locked_draft(draft_id, related=False)
        if not _still_ours(draft, claimed_at=claimed_at, task_id=task_id):
            return DraftOutcome("skipped", note="claim lost to another worker")
        churn = context.get("churn") or {}
        draft.subject = draft.original_subject = clean.subject
        draft.body = draft.original_body = clean.body
        draft.offer = draft.original_offer = clean.offer
        draft.context = context
        draft.churn_probability = churn.get("probability")
        draft.risk_class = churn.get("risk_class") or ""
        draft.validation_notes = clean.notes
        draft.provider = text.provider
        draft.model_name = text.model_name[:100]
        draft.prompt_version = text.prompt_version[:32]
        draft.generation += 1
        draft.error = ""
        draft.claimed_at = None
        draft.claim_task_id = ""
        _move(
            draft,
            Status.PENDING_REVIEW,
            kind=Event.DRAFTED,
            fields=(
                "subject",
                "original_subject",
                "body",
                "original_body",
                "offer",
                "original_offer",
                "context",
                "churn_probability",
                "risk_class",
                "validation_notes",
                "provider",
                "model_name",
                "prompt_version",
                "generation",
                "error",
                "claimed_at",
                "claim_task_id",
            ),
            changes={
                "provider": text.provider,
                "model": text.model_name,
                "prompt_version": text.prompt_version,
                "generation": draft.generation,
                **{k: v for k, v in text.meta.items() if v is not None},
            },
        )
    return DraftOutcome("drafted")


def _draft_fail(*, draft_id, claimed_at, task_id, error: str, changes=None) -> DraftOutcome:
    with transaction.atomic():
        draft = _locked_draft(draft_id, related=False)
        if not _still_ours(draft, claimed_at=claimed_at, task_id=task_id):
            return DraftOutcome("skipped", note="claim lost to another worker")
        draft.error = error
        draft.claimed_at = None
        draft.claim_task_id = ""
        _move(
            draft,
            Status.FAILED,
            kind=Event.FAILED,
            fields=("error", "claimed_at", "claim_task_id"),
            note=error,
            changes=changes,
        )
    _campaign_settle(draft.campaign_id)
    return DraftOutcome("failed", note=error)


def _draft_retry_or_fail(*, draft_id, claimed_at, task_id, error: ProviderTransientError):
    with transaction.atomic():
        draft = _locked_draft(draft_id, related=False)
        if not _still_ours(draft, claimed_at=claimed_at, task_id=task_id):
            return DraftOutcome("skipped", note="claim lost to another worker")
        # A run that never reached the API (the local rate limit said wait) costs nothing
        # from the GEMINI_MAX_ATTEMPTS budget.
        if error.http_attempts == 0:
            draft.attempts = max(0, draft.attempts - 1)
        runs_allowed = _draft_runs_allowed()
        if draft.attempts >= runs_allowed:
            message = (
                f"{error} Gave up after {draft.attempts} run(s) of up to {client_attempts()} "
                f"HTTP attempt(s) each (GEMINI_MAX_ATTEMPTS={settings.GEMINI_MAX_ATTEMPTS})."
            )
            draft.error = message
            draft.claimed_at = None
            draft.claim_task_id = ""
            _move(
                draft,
                Status.FAILED,
                kind=Event.FAILED,
                fields=("error", "claimed_at", "claim_task_id", "attempts"),
                note=message,
                changes={"http_attempts": error.http_attempts},
            )
            outcome = DraftOutcome("failed", note=message)
        else:
            delay = _retry_delay(draft.attempts, error.retry_after)
            draft.error = str(error)
            draft.claimed_at = None
            draft.claim_task_id = ""
            draft.enqueued_at = timezone.now() + dt.timedelta(seconds=delay)
            _move(
                draft,
                Status.QUEUED,
                kind=Event.RETRY,
                fields=("error", "claimed_at", "claim_task_id", "enqueued_at", "attempts"),
                note=str(error),
                changes={
                    "retry_in": delay,
                    "retry_after": error.retry_after,
                    "http_attempts": error.http_attempts,
                },
            )
            return DraftOutcome("retry", retry_in=delay, note=str(error))
    _campaign_settle(draft.campaign_id)
    return outcome


# --- review ----------------------------------------------------------------------------


def _state_error(draft: EmailDraft, action: str) -> DraftStateError:
    who = ""
    if draft.reviewed_by_id and draft.reviewed_at:
        who = f" by {draft.reviewed_by} at {timezone.localtime(draft.reviewed_at):%H:%M:%S}"
    return DraftStateError(
        f"This draft cannot be {action}: it is {draft.get_status_display().lower()}{who}."
    )


def draft_edit(*, draft_id: int, user, subject: str, body: str, offer: str | None = None):
    """Save a reviewer's edit of the subject and body (and offer); the original text stays."""
    with transaction.atomic():
        draft = _locked_draft(draft_id)
        if draft.status != Status.PENDING_REVIEW:
            raise _state_error(draft, "edited")
        try:
            clean = clean_draft(
                subject=subject,
                body=body,
                offer=draft.offer if offer is None else offer,
                customer=draft.customer,
            )
        except DraftRejected as exc:
            raise ValidationError(str(exc)) from exc
        changes = {
            field: [getattr(draft, field), getattr(clean, field)]
            for field in ("subject", "body", "offer")
            if getattr(draft, field) != getattr(clean, field)
        }
        if not changes:
            return draft
        draft.subject, draft.body, draft.offer = clean.subject, clean.body, clean.offer
        draft.save(update_fields=["subject", "body", "offer", "updated_at"])
        _event(
            draft,
            Event.EDITED,
            from_status=draft.status,
            to_status=draft.status,
            actor=user,
            changes=changes,
            note="; ".join(clean.notes),
        ).save()
    return draft


def draft_approve(*, draft_id: int, user) -> EmailDraft:
    with transaction.atomic():
        draft = _locked_draft(draft_id)
        if draft.status != Status.PENDING_REVIEW:
            raise _state_error(draft, "approved")
        draft.reviewed_by = user
        draft.reviewed_at = timezone.now()
        _move(
            draft,
            Status.APPROVED,
            kind=Event.APPROVED,
            fields=("reviewed_by", "reviewed_at"),
            actor=user,
            changes={"edited": draft.is_edited} if draft.is_edited else None,
        )
    return draft


def drafts_approve_bulk(*, draft_ids: Iterable[int], user) -> dict:
    """Approve each pending draft of ``draft_ids``, each under its own lock."""
    approved, skipped = [], []
    for draft_id in dict.fromkeys(draft_ids):
        try:
            draft_approve(draft_id=draft_id, user=user)
            approved.append(draft_id)
        except (DraftStateError, EmailDraft.DoesNotExist) as exc:
            skipped.append((draft_id, str(exc)))
    return {"approved": approved, "skipped": skipped}


def draft_reject(*, draft_id: int, user, reason: str) -> EmailDraft:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the draft is rejected.")
    with transaction.atomic():
        draft = _locked_draft(draft_id)
        if draft.status not in (Status.PENDING_REVIEW, Status.APPROVED):
            raise _state_error(draft, "rejected")
        draft.rejection_reason = reason
        draft.reviewed_by = user
        draft.reviewed_at = timezone.now()
        _move(
            draft,
            Status.REJECTED,
            kind=Event.REJECTED,
            fields=("rejection_reason", "reviewed_by", "reviewed_at"),
            actor=user,
            note=reason,
        )
    _campaign_settle(draft.campaign_id)
    return draft


def draft_regenerate(*, draft_id: int, user) -> EmailDraft:
    """Queue the draft to be written again; the text it had stays in the event log."""
    with transaction.atomic():
        draft = _locked_draft(draft_id)
        if not draft.can_regenerate:
            raise _state_error(draft, "regenerated")
        previous = {
            "subject": draft.subject,
            "body": draft.body,
            "offer": draft.offer,
            "original_subject": draft.original_subject,
            "original_body": draft.original_body,
            "provider": draft.provider,
            "model_name": draft.model_name,
            "generation": draft.generation,
            "error": draft.error,
            "rejection_reason": draft.rejection_reason,
        }
        draft.attempts = 0
        draft.error = ""
        draft.rejection_reason = ""
        draft.reviewed_by = None
        draft.reviewed_at = None
        draft.enqueued_at = timezone.now()
        _move(
            draft,
            Status.QUEUED,
            kind=Event.REGENERATE,
            fields=(
                "attempts",
                "error",
                "rejection_reason",
                "reviewed_by",
                "reviewed_at",
                "enqueued_at",
            ),
            actor=user,
            changes={"previous": previous},
        )
        _campaign_reopen(draft.campaign_id)
        _enqueue("draft_generate", [draft.pk])
    return draft


# --- sending ---------------------------------------------------------------------------


def drafts_send_request(*, draft_ids: Iterable[int], user) -> int:
    """Move approved drafts into the outbox (status sending) and queue their sends."""
    now = timezone.now()
    ids = list(dict.fromkeys(draft_ids))
    with transaction.atomic():
        drafts = list(
            EmailDraft.objects.select_for_update()
            .filter(pk__in=ids, status=Status.APPROVED)
            .order_by("pk")
        )
        for draft in drafts:
            draft.send_requested_at = now
            draft.enqueued_at = now
            _move(
                draft,
                Status.SENDING,
                kind=Event.SEND_REQUESTED,
                fields=("send_requested_at", "enqueued_at"),
                actor=user,
            )
        _enqueue("draft_send", [d.pk for d in drafts])
    return len(drafts)


def campaign_send_approved(*, campaign_id: int, user) -> int:
    with transaction.atomic():
        # Locks the campaign first, so a double click waits and then finds nothing approved.
        Campaign.objects.select_for_update().get(pk=campaign_id)
        ids = list(
            EmailDraft.objects.filter(campaign_id=campaign_id, status=Status.APPROVED).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            raise CampaignActionError("There are no approved drafts to send.")
        return drafts_send_request(draft_ids=ids, user=user)


def _message_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "growthai.local"


def _send_error_is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    code = getattr(exc, "smtp_code", None)
    if isinstance(code, int):
        return code < 500
    return isinstance(exc, smtplib.SMTPException | OSError | TimeoutError)


def _send_delay(attempt: int) -> float:
    base = settings.CAMPAIGN_SEND_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return round(min(3600.0, base) * random.uniform(1.0, 1.25), 2)


def _unsubscribe_footer(sender: str) -> str:
    """The plain-text line every sent email ends with: how to stop these emails, through
    the mailbox the List-Unsubscribe header names. Added at sending, so no edit drops it."""
    if not sender:
        return ""
    return (
        '\n\n--\nTo stop receiving these emails, reply with "unsubscribe" in the subject '
        f"or write to {sender}."
    )


def draft_send(*, draft_id: int, task_id: str = "") -> DraftOutcome:
    """Send one draft from the outbox: claim, send, stamp ``sent_at`` — at most once."""
    now = timezone.now()
    with transaction.atomic():
        draft = _locked_draft(draft_id)
        if draft.sent_at is not None or draft.status == Status.SENT:
            return DraftOutcome("skipped", note="already sent")
        if draft.status != Status.SENDING:
            return DraftOutcome("skipped", note=f"not in the outbox ({draft.status})")
        if draft.send_claimed_at is not None:
            timeout = dt.timedelta(seconds=settings.CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS)
            if draft.send_claimed_at > now - timeout:
                return DraftOutcome("skipped", note="another worker is sending it")
            _send_outcome_unknown(draft)
            return DraftOutcome("failed", note="outcome unknown")
        customer = draft.customer
        if customer.email_opt_out or not customer.email:
            why = "opted out of email" if customer.email_opt_out else "has no email address"
            draft.error = f"Not sent: the customer {why}."
            _move(draft, Status.SKIPPED, kind=Event.SKIPPED, fields=("error",), note=draft.error)
            transaction.on_commit(lambda: _campaign_settle(draft.campaign_id))
            return DraftOutcome("skipped", note=draft.error)
        draft.send_claimed_at = now
        draft.send_attempts += 1
        draft.save(update_fields=["send_claimed_at", "send_attempts", "updated_at"])

    message_id = f"<draft-{draft.pk}.{draft.generation}.{draft.campaign_id}@{_message_domain()}>"
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    try:
        connection = get_connection(
            settings.CAMPAIGN_EMAIL_BACKEND or None,
            fail_silently=False,
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30,
        )
        message = EmailMessage(
            subject=draft.subject,
            body=draft.body + _unsubscribe_footer(sender),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[customer.email],
            headers={
                "Message-ID": message_id,
                "X-GrowthAI-Draft": str(draft.pk),
                "X-GrowthAI-Campaign": str(draft.campaign_id),
                **(
                    {"List-Unsubscribe": f"<mailto:{sender}?subject=unsubscribe>"} if sender else {}
                ),
            },
            connection=connection,
        )
        if message.send() != 1:
            raise smtplib.SMTPException("the email backend accepted no message")
    except Exception as exc:
        return _send_failed(draft_id=draft_id, claimed_at=now, error=exc)

    with transaction.atomic():
        draft = _locked_draft(draft_id)
        draft.sent_at = timezone.now()
        draft.send_claimed_at = None
        draft.message_id = message_id
        draft.error = ""
        _move(
            draft,
            Status.SENT,
            kind=Event.SENT,
            fields=("sent_at", "send_claimed_at", "message_id", "error"),
            changes={
                "to": customer.email,
                "message_id": message_id,
                "attempt": draft.send_attempts,
            },
        )
    _campaign_settle(draft.campaign_id)
    return DraftOutcome("sent")


def _send_outcome_unknown(draft: EmailDraft) -> None:
    draft.error = (
        "The worker stopped while sending, so the email may or may not have gone out. "
        "It is not sent again automatically; check the mail server's log."
    )
    draft.send_claimed_at = None
    _move(
        draft,
        Status.FAILED,
        kind=Event.FAILED,
        fields=("error", "send_claimed_at"),
        note=draft.error,
    )
    transaction.on_commit(lambda: _campaign_settle(draft.campaign_id))


def _send_failed(*, draft_id: int, claimed_at: dt.datetime, error: Exception) -> DraftOutcome:
    transient = _send_error_is_transient(error)
    description = f"{error.__class__.__name__}: {error}"[:1000]
    with transaction.atomic():
        draft = _locked_draft(draft_id)
        if draft.status != Status.SENDING or draft.send_claimed_at != claimed_at:
            return DraftOutcome("skipped", note="send claim lost")
        draft.send_claimed_at = None
        if transient and draft.send_attempts < settings.CAMPAIGN_SEND_MAX_ATTEMPTS:
            delay = _send_delay(draft.send_attempts)
            draft.error = f"Sending failed ({description}); trying again in {delay:.0f} s."
            draft.enqueued_at = timezone.now() + dt.timedelta(seconds=delay)
            draft.save(update_fields=["send_claimed_at", "error", "enqueued_at", "updated_at"])
            _event(
                draft,
                Event.SEND_RETRY,
                from_status=draft.status,
                to_status=draft.status,
                note=draft.error,
                changes={"attempt": draft.send_attempts, "retry_in": delay},
            ).save()
            return DraftOutcome("retry", retry_in=delay, note=description)
        draft.error = (
            f"Sending failed after {draft.send_attempts} attempt(s): {description}"
            if transient
            else f"Sending failed for good: {description}"
        )
        _move(
            draft,
            Status.FAILED,
            kind=Event.FAILED,
            fields=("error", "send_claimed_at"),
            note=draft.error,
        )
    _campaign_settle(draft.campaign_id)
    return DraftOutcome("failed", note=description)


# --- recovery --------------------------------------------------------------------------


def drafts_recover_stalled(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Put back to work what a dead worker or a lost message left behind.

    - drafting, claimed longer ago than DRAFT_CLAIM_TIMEOUT_SECONDS → queued again;
    - queued (or sending, unclaimed) whose message went out longer ago than
      DRAFT_REQUEUE_AFTER_SECONDS → message sent again (a duplicate is harmless: the claim
      turns it away);
    - sending, claimed longer ago than CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS → failed with
      "outcome unknown", never re-sent.
    """
    now = now or timezone.now()
    stale_claim = now - _claim_timeout()
    lost_message = now - dt.timedelta(seconds=settings.DRAFT_REQUEUE_AFTER_SECONDS)
    stale_send = now - dt.timedelta(seconds=settings.CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS)
    counts = {"requeued": 0, "resent_messages": 0, "send_unknown": 0, "send_resent": 0}
    touched_campaigns: set[int] = set()
    with transaction.atomic():
        locked = EmailDraft.objects.select_for_update(skip_locked=True)
        generate_ids, send_ids = [], []
        for draft in locked.filter(status=Status.DRAFTING, claimed_at__lt=stale_claim)[
            :RECOVERY_BATCH
        ]:
            draft.claimed_at = None
            draft.claim_task_id = ""
            draft.enqueued_at = now
            _move(
                draft,
                Status.QUEUED,
                kind=Event.RECOVERED,
                fields=("claimed_at", "claim_task_id", "enqueued_at"),
                note="The worker drafting it stopped; queued again.",
            )
            generate_ids.append(draft.pk)
        counts["requeued"] = len(generate_ids)
        for draft in locked.filter(status=Status.QUEUED, enqueued_at__lt=lost_message)[
            :RECOVERY_BATCH
        ]:
            draft.enqueued_at = now
            draft.save(update_fields=["enqueued_at", "updated_at"])
            generate_ids.append(draft.pk)
        counts["resent_messages"] = len(generate_ids) - counts["requeued"]
        for draft in locked.filter(status=Status.SENDING, send_claimed_at__lt=stale_send)[
            :RECOVERY_BATCH
        ]:
            _send_outcome_unknown(draft)
            counts["send_unknown"] += 1
            touched_campaigns.add(draft.campaign_id)
        for draft in locked.filter(
            status=Status.SENDING, send_claimed_at=None, enqueued_at__lt=lost_message
        )[:RECOVERY_BATCH]:
            draft.enqueued_at = now
            draft.save(update_fields=["enqueued_at", "updated_at"])
            send_ids.append(draft.pk)
        counts["send_resent"] = len(send_ids)
        _enqueue("draft_generate", generate_ids)
        _enqueue("draft_send", send_ids)
    for campaign_id in (
        Campaign.objects.filter(status=Campaign.Status.ACTIVE)
        .exclude(drafts__status__in=[s for s in Status.values if s not in EmailDraft.FINAL])
        .values_list("pk", flat=True)
    ):
        touched_campaigns.add(campaign_id)
    for campaign_id in touched_campaigns:
        _campaign_settle(campaign_id)
    if any(counts.values()):
        logger.warning("Recovered stalled drafts: %s", counts)
    return counts


# --- the original endpoints ------------------------------------------------------------


def draft_generate_for_customer(
    *, customer_id: int, user, campaign_id: int | None = None
) -> EmailDraft:
    """Draft a retention email for one customer now (the original ``POST /campaign/generate``).

    Without ``campaign_id`` the draft goes into its own single-customer campaign. A draft
    already on its way for the customer is returned instead of starting another; a failed
    or rejected one is regenerated. The draft lands in the review queue like any other.
    Raises ``Customer.DoesNotExist``, ``Campaign.DoesNotExist`` or ``CampaignActionError``.
    """
    customer = Customer.objects.select_related("segment").get(pk=customer_id)
    if customer.email_opt_out:
        raise CampaignActionError(
            "This customer opted out of email; no retention email is drafted."
        )
    if not customer.email:
        raise CampaignActionError("This customer has no email address.")
    now = timezone.now()
    with transaction.atomic():
        if campaign_id is not None:
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        else:
            # Serialise two clicks for the same customer on the customer row.
            Customer.objects.select_for_update().filter(pk=customer.pk).first()
            existing = (
                EmailDraft.objects.filter(customer=customer, campaign__kind=Campaign.Kind.ADHOC)
                .exclude(status__in=EmailDraft.FINAL)
                .order_by("-pk")
                .first()
            )
            if existing is not None:
                return existing
            campaign = Campaign.objects.create(
                kind=Campaign.Kind.ADHOC,
                name=f"Retention email for {customer.name or customer.external_id}",
                goal="Keep this customer: a personal retention email drafted on demand.",
                provider=default_provider_name(),
                status=Campaign.Status.ACTIVE,
                started_at=now,
                created_by=user,
            )
        draft = EmailDraft.objects.filter(campaign=campaign, customer=customer).first()
        if draft is not None:
            if draft.status in (Status.FAILED, Status.REJECTED):
                return draft_regenerate(draft_id=draft.pk, user=user)
            return draft
        score = integrations.latest_scores(customer_ids=[customer.pk]).get(customer.pk) or {}
        draft = EmailDraft.objects.create(
            campaign=campaign,
            customer=customer,
            status=Status.QUEUED,
            enqueued_at=now,
            churn_probability=score.get("probability"),
            risk_class=score.get("risk_class") or "",
        )
        _event(draft, Event.CREATED, from_status="", to_status=Status.QUEUED, actor=user).save()
        if campaign.status != Campaign.Status.ACTIVE:
            campaign.status = Campaign.Status.ACTIVE
            campaign.started_at = campaign.started_at or now
            campaign.finished_at = None
            campaign.save(update_fields=["status", "started_at", "finished_at", "updated_at"])
        _enqueue("draft_generate", [draft.pk])
    return draft


def offer_for_prediction(
    *, probability: float | None, risk_class: str | None, drivers: list, profile: dict
) -> dict:
    """A personalised retention offer for a churn prediction (the original ``POST /predict``).

    Rule-based and instant (see ``campaigns.offers``): ``kind``, ``headline``, ``details``,
    ``discount_percent``, ``duration_months``, ``risk_class``, ``rationale``, ``themes``,
    and ``message``, the offer put to the customer by first name.
    """
    offer = offer_for(
        probability=probability, risk_class=risk_class, drivers=drivers, profile=profile
    )
    first_name = (profile or {}).get("first_name") or (
        ((profile or {}).get("name") or "").split() or [""]
    )[0]
    from campaigns.providers.template import THEME_SENTENCES

    parts = []
    if offer["kind"] == "winback":
        parts.append("We have missed you, and we would love to welcome you back.")
    elif offer["themes"]:
        parts.append(THEME_SENTENCES[offer["themes"][0]])
    headline = offer["headline"]
    parts.append(f"Here is something for you: {headline[0].lower()}{headline[1:]}.")
    message = " ".join(parts)
    if first_name:
        message = f"{first_name}, {message[0].lower()}{message[1:]}"
    offer["message"] = message
    return offer
