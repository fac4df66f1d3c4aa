"""Retention campaigns, the email drafts written for them, and the audit log of every draft.

A draft moves ``queued → drafting → pending_review → approved → sending → sent``; it can end
``rejected`` (with a reason), ``failed`` (with an error) or ``skipped`` (the customer opted
out or has no address by the time it would be sent). Every move is written as a
``DraftEvent`` in the same transaction as the move itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Provider(models.TextChoices):
    GEMINI = "gemini", "Gemini (AI)"
    TEMPLATE = "template", "Offline template — no AI"


class RiskClass(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Not started"
        ACTIVE = "active", "In progress"
        DONE = "done", "Done"

    class Kind(models.TextChoices):
        TARGETED = "targeted", "Targeted"
        # One customer, drafted on demand from the customer's page (the original
        # ``POST /campaign/generate``). Each such request gets its own campaign so that the
        # (campaign, customer) uniqueness keeps its meaning.
        ADHOC = "adhoc", "Single customer"

    name = models.CharField(max_length=200)
    goal = models.TextField(blank=True, help_text="What the emails should achieve.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TARGETED)
    segments = models.ManyToManyField("customers.Segment", blank=True, related_name="campaigns")
    risk_class = models.CharField(
        max_length=8,
        choices=RiskClass.choices,
        blank=True,
        help_text="Only customers whose latest churn score is in this class.",
    )
    min_probability = models.FloatField(
        null=True,
        blank=True,
        help_text="Only customers whose latest churn probability is at least this (0 to 1).",
    )
    max_recipients = models.PositiveIntegerField(
        null=True, blank=True, help_text="The riskiest customers first, up to this many."
    )
    offer = models.TextField(
        blank=True,
        help_text="The offer every email makes. Empty: each customer gets an offer matched to "
        "their churn risk and its drivers.",
    )
    brand_voice = models.TextField(blank=True, help_text="Tone and style guidelines.")
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.TEMPLATE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status"], name="campaign_kind_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_probability__isnull=True)
                | Q(min_probability__gte=0, min_probability__lte=1),
                name="campaign_min_probability_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_adhoc(self) -> bool:
        return self.kind == self.Kind.ADHOC


class EmailDraft(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DRAFTING = "drafting", "Drafting"
        PENDING_REVIEW = "pending_review", "Pending review"
        APPROVED = "approved", "Approved"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent (opted out)"

    # A worker owns the draft while it is in one of these; the page keeps polling.
    IN_FLIGHT = (Status.QUEUED, Status.DRAFTING, Status.SENDING)
    FINAL = (Status.SENT, Status.REJECTED, Status.FAILED, Status.SKIPPED)

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="drafts")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="email_drafts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)

    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    offer = models.TextField(blank=True)
    # What the provider wrote, kept next to the reviewer's edits.
    original_subject = models.CharField(max_length=200, blank=True)
    original_body = models.TextField(blank=True)
    original_offer = models.TextField(blank=True)
    # What the draft was written from: profile, churn probability and drivers, recommended
    # items, offer. A snapshot, so the review shows what the writer saw even after rescoring.
    context = models.JSONField(default=dict, blank=True)
    # Copied out of the snapshot so that the review queue can filter and sort on them.
    churn_probability = models.FloatField(null=True, blank=True)
    risk_class = models.CharField(max_length=8, choices=RiskClass.choices, blank=True)
    validation_notes = models.JSONField(default=list, blank=True)

    provider = models.CharField(max_length=16, choices=Provider.choices, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=32, blank=True)
    generation = models.PositiveIntegerField(default=0)  # 1 for the first text, +1 per regenerate

    # Drafting bookkeeping: the claim of the worker writing it, and how often it tried.
    attempts = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    rejection_reason = models.TextField(blank=True)

    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    # The outbox: a send is claimed, done, then stamped.
    send_requested_at = models.DateTimeField(null=True, blank=True)
    send_claimed_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-churn_probability", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="draft_one_per_customer"),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(status="sent"),
                name="draft_sent_at_only_when_sent",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="draft_campaign_status"),
            models.Index(fields=["status", "claimed_at"], name="draft_status_claimed"),
            models.Index(fields=["status", "risk_class"], name="draft_status_risk"),
        ]

    def __str__(self) -> str:
        return f"Draft {self.pk} for customer {self.customer_id} ({self.status})"

    @property
    def is_edited(self) -> bool:
        return (self.subject, self.body, self.offer) != (
            self.original_subject,
            self.original_body,
            self.original_offer,
        )

    @property
    def is_offline_template(self) -> bool:
        return self.provider == Provider.TEMPLATE

    @property
    def can_review(self) -> bool:
        return self.status == self.Status.PENDING_REVIEW

    @property
    def can_regenerate(self) -> bool:
        return self.status in (
            self.Status.PENDING_REVIEW,
            self.Status.REJECTED,
            self.Status.FAILED,
        )


class DraftEvent(models.Model):
    """One move of a draft (or an edit of its text): who, when, from what to what."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        CLAIMED = "claimed", "Drafting started"
        DRAFTED = "drafted", "Drafted"
        RETRY = "retry", "Will retry"
        FAILED = "failed", "Failed"
        EDITED = "edited", "Edited"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REGENERATE = "regenerate", "Regeneration requested"
        RECOVERED = "recovered", "Re-queued after a stalled worker"
        SEND_REQUESTED = "send_requested", "Send requested"
        SEND_RETRY = "send_retry", "Send will retry"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"

    draft = models.ForeignKey(EmailDraft, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    # {"field": [before, after]} for edits; provider and model for drafts; etc.
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["draft", "at"], name="draftevent_draft_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.from_status} → {self.to_status})"
