import datetime as dt

import pytest
from django.utils import timezone

from campaigns import ratelimit
from campaigns.models import Campaign, EmailDraft, Provider
from campaigns.tests import backends
from campaigns.tests.fake_gemini import FakeGemini
from customers.tests.factories import CustomerFactory, SegmentFactory
from scoring.models import ChurnModel
from scoring.services import churn_score_create


@pytest.fixture(autouse=True)
def campaign_settings(settings):
    """No rate limit and no Gemini unless a test asks; quick retries."""
    settings.GEMINI_API_KEY = ""
    settings.GEMINI_REQUESTS_PER_MINUTE = 0
    settings.GEMINI_RETRY_INITIAL_DELAY = 0.05
    settings.GEMINI_RETRY_MAX_DELAY = 0.2
    settings.GEMINI_RETRY_JITTER = 0.05
    settings.GEMINI_TIMEOUT_SECONDS = 2.0
    settings.GEMINI_CLIENT_ATTEMPTS = 3
    settings.GEMINI_MAX_ATTEMPTS = 6
    settings.DRAFT_LINK_ALLOWLIST = ["shop.example.com"]
    settings.DEFAULT_FROM_EMAIL = "GrowthAI <retention@example.com>"
    settings.CAMPAIGN_EMAIL_BACKEND = ""
    backends.FlakyBackend.errors = []
    yield settings


@pytest.fixture(scope="session")
def fake_server():
    server = FakeGemini().start()
    yield server
    server.stop()


@pytest.fixture
def fake_gemini(fake_server, settings):
    """The fake Gemini server, reset, with the settings pointing the real client at it."""
    fake_server.set_script()
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_BASE_URL = fake_server.base_url
    settings.GEMINI_MODEL = "gemini-test"
    ratelimit.bucket().reset()
    return fake_server


@pytest.fixture
def segment(db):
    return SegmentFactory(name="Consumer")


_versions = iter(range(1000, 100000))


def make_score(customer, *, probability=0.8, risk="high", drivers=None, model=None):
    model = model or ChurnModel.objects.create(
        version=next(_versions),
        as_of=timezone.now(),
        artifact="churn_models/none.zip",
        artifact_sha256="0" * 64,
    )
    return churn_score_create(
        customer=customer,
        model_id=model.pk,
        probability=probability,
        risk_class=risk,
        drivers=drivers
        if drivers is not None
        else [
            {
                "feature": "contract",
                "label": "Contract",
                "value": "Month-to-month",
                "direction": "raises",
                "text": "Contract = Month-to-month raises risk",
            },
            {
                "feature": "support_tickets",
                "label": "Support tickets",
                "value": 4,
                "direction": "raises",
                "text": "Support tickets = 4 raises risk",
            },
        ],
        scored_at=timezone.now() - dt.timedelta(hours=1),
    )


@pytest.fixture
def scored_customer(db):
    customer = CustomerFactory(name="Anna Smith", plan="Monthly", tenure_months=7)
    make_score(customer)
    return customer


@pytest.fixture
def make_campaign(db, marketer_user):
    def make(**kwargs):
        kwargs.setdefault("name", "Win back")
        kwargs.setdefault("provider", Provider.TEMPLATE)
        kwargs.setdefault("created_by", marketer_user)
        return Campaign.objects.create(**kwargs)

    return make


@pytest.fixture
def make_draft(make_campaign):
    def make(customer=None, *, campaign=None, status=EmailDraft.Status.QUEUED, **kwargs):
        campaign = campaign or make_campaign(status=Campaign.Status.ACTIVE)
        customer = customer or CustomerFactory()
        kwargs.setdefault("enqueued_at", timezone.now())
        return EmailDraft.objects.create(
            campaign=campaign, customer=customer, status=status, **kwargs
        )

    return make


@pytest.fixture
def pending_draft(make_draft, scored_customer):
    """A draft written by the template provider, waiting for review."""
    from campaigns.services import draft_generate

    draft = make_draft(scored_customer)
    draft_generate(draft_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == EmailDraft.Status.PENDING_REVIEW, draft.error
    return draft
