"""Drafting and sending through a real Celery worker process, against the real broker
(filesystem without REDIS_URL, Redis with it) and the test database."""

import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from campaigns import services
from campaigns.models import Campaign, DraftEvent, EmailDraft, Provider
from campaigns.tasks import draft_send as draft_send_task
from campaigns.tasks import enqueue_many
from campaigns.tests.fake_gemini import ok, slow
from campaigns.tests.workers import children, io_worker, kill_hard
from customers.tests.factories import CustomerFactory, UserFactory
from growthai.celery import app
from growthai.tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow]
Status = EmailDraft.Status


@pytest.fixture
def marketer_user(transactional_db):
    # transactional_db flushes the role groups the migrations made; services need no role.
    return UserFactory(username="worker-test-user")


@pytest.fixture
def worker_settings(transactional_db, fake_gemini, settings, monkeypatch):
    """The same drafting settings for the worker (environment) and this process."""
    values = {
        "GEMINI_API_KEY": "test-key",
        "GEMINI_BASE_URL": fake_gemini.base_url,
        "GEMINI_MODEL": "gemini-test",
        "GEMINI_REQUESTS_PER_MINUTE": "0",
        "GEMINI_TIMEOUT_SECONDS": "10",
        "GEMINI_RETRY_INITIAL_DELAY": "0.05",
        "GEMINI_RETRY_MAX_DELAY": "0.2",
        "DRAFT_CLAIM_TIMEOUT_SECONDS": "4",
        "DRAFT_RECOVERY_INTERVAL_SECONDS": "1",
        "CAMPAIGN_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings.DRAFT_CLAIM_TIMEOUT_SECONDS = 4
    settings.GEMINI_TIMEOUT_SECONDS = 10.0
    return settings


def _campaign(n: int, marketer) -> Campaign:
    customers = [CustomerFactory() for _ in range(n)]
    campaign = Campaign.objects.create(
        name="Worker test", provider=Provider.GEMINI, created_by=marketer
    )
    assert customers
    return campaign


def _drafted_once(campaign: Campaign) -> None:
    drafts = list(campaign.drafts.all())
    for draft in drafts:
        assert draft.status == Status.PENDING_REVIEW, (draft.pk, draft.status, draft.error)
    drafted = DraftEvent.objects.filter(draft__campaign=campaign, kind="drafted")
    assert drafted.count() == len(drafts)
    assert drafted.values("draft").distinct().count() == len(drafts)


def test_fifty_drafts_reach_review_exactly_once(worker_settings, fake_gemini, marketer_user):
    fake_gemini.set_script(ok(delay=0.1))
    campaign = _campaign(50, marketer_user)

    with io_worker(name="fifty", concurrency=8):
        assert services.campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user) == 50
        wait_for(
            lambda: campaign.drafts.filter(status=Status.PENDING_REVIEW).count() == 50,
            timeout=60,
        )
        time.sleep(0.5)  # room for a duplicate, if there were one, to show up

    _drafted_once(campaign)
    assert fake_gemini.count == 50  # one provider call per draft
    assert DraftEvent.objects.filter(draft__campaign=campaign, kind="claimed").count() == 50


def test_a_worker_killed_mid_draft_loses_and_duplicates_nothing(
    worker_settings, fake_gemini, marketer_user
):
    """SIGKILL of the whole worker (threads pool: one process) while two drafts are waiting
    on the model. With Redis their messages stay unacknowledged until the visibility timeout;
    the filesystem broker has already removed them. Either way the periodic recovery (beat,
    in the second worker) finds the stale claims and queues them again."""
    fake_gemini.set_script(slow(30))
    campaign = _campaign(3, marketer_user)

    with io_worker(name="victim", concurrency=2) as victim:
        services.campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user)
        wait_for(lambda: fake_gemini.count >= 2, timeout=30)
        wait_for(lambda: campaign.drafts.filter(status=Status.DRAFTING).count() == 2)
        kill_hard(victim)
    assert fake_gemini.count == 2

    fake_gemini.set_script(ok())  # also clears the server's request log
    with io_worker(name="rescuer", concurrency=4, beat=True, purge=False) as rescuer:
        wait_for(
            lambda: campaign.drafts.filter(status=Status.PENDING_REVIEW).count() == 3,
            timeout=60,
        )
        if django_settings.REDIS_URL:
            # Redis kept the killed worker's two messages as unacknowledged; it hands them
            # back after the visibility timeout. Do that now: they must change nothing.
            assert _restore_unacked_now() >= 2
            wait_for(lambda: "'skipped'" in Path(rescuer.log_path).read_text(), timeout=30)
        time.sleep(1.5)  # a further beat tick must not draft anything twice
        log = Path(rescuer.log_path).read_text()

    _drafted_once(campaign)
    assert campaign.drafts.count() == 3
    recovered = DraftEvent.objects.filter(draft__campaign=campaign, kind="recovered")
    assert recovered.count() == 2, log[-3000:]
    # After the two calls cut off by the kill: exactly one call per draft.
    assert fake_gemini.count == 3


def _restore_unacked_now() -> int:
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        parked = channel.client.hlen(channel.unacked_key)
        channel.visibility_timeout = 0
        channel.qos.restore_visible(num=1000, interval=1)
    return parked


def test_a_killed_prefork_child_is_redelivered_and_taken_over(
    worker_settings, fake_gemini, marketer_user
):
    """acks_late alone would lose this task; task_reject_on_worker_lost puts it back, and the
    redelivered message (same task id) takes over its own dead claim at once, without
    waiting for the recovery."""
    worker_settings.DRAFT_CLAIM_TIMEOUT_SECONDS = 400  # recovery must not be what saves it
    os.environ["DRAFT_CLAIM_TIMEOUT_SECONDS"] = "600"
    fake_gemini.set_script(slow(30), ok())
    campaign = _campaign(1, marketer_user)

    with io_worker(name="prefork", pool="prefork", concurrency=1) as worker:
        services.campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user)
        wait_for(lambda: fake_gemini.count >= 1, timeout=30)
        (child,) = children(worker.pid)
        os.kill(child, signal.SIGKILL)
        wait_for(
            lambda: campaign.drafts.filter(status=Status.PENDING_REVIEW).count() == 1,
            timeout=40,
        )
        log = Path(worker.log_path).read_text()

    _drafted_once(campaign)
    assert "WorkerLostError" in log or "exited prematurely" in log
    claimed = DraftEvent.objects.filter(draft__campaign=campaign, kind="claimed")
    assert claimed.count() == 2
    assert "Taken over after the worker drafting it stopped" in claimed.last().note
    assert fake_gemini.count == 2


def _sent_messages() -> list[str]:
    folder = Path(django_settings.EMAIL_FILE_PATH)
    if not folder.exists():
        return []
    messages = []
    for path in folder.glob("*.log"):
        for line in path.read_text().splitlines():
            if line.startswith("X-GrowthAI-Draft:"):
                messages.append(line.split(":", 1)[1].strip())
    return messages


def test_sending_twice_sends_each_email_once(worker_settings, fake_gemini, marketer_user):
    campaign = _campaign(10, marketer_user)
    optout = CustomerFactory(email_opt_out=False)
    before = set(_sent_messages())

    with io_worker(name="sender", concurrency=8):
        services.campaign_start_drafting(campaign_id=campaign.pk, user=marketer_user)
        # A customer who opts out after drafting must still never be emailed.
        services.draft_generate_for_customer(
            customer_id=optout.pk, user=marketer_user, campaign_id=campaign.pk
        )
        wait_for(lambda: campaign.drafts.filter(status=Status.PENDING_REVIEW).count() == 11)
        optout.email_opt_out = True
        optout.save()
        ids = list(campaign.drafts.values_list("pk", flat=True))
        services.drafts_approve_bulk(draft_ids=ids, user=marketer_user)
        assert services.campaign_send_approved(campaign_id=campaign.pk, user=marketer_user) == 11
        # The same sends queued twice more, as a double click or a redelivery would.
        enqueue_many(draft_send_task, ids)
        enqueue_many(draft_send_task, ids)
        wait_for(
            lambda: campaign.drafts.filter(status__in=[Status.SENT, Status.SKIPPED]).count() == 11,
            timeout=60,
        )
        time.sleep(1.0)

    sent = [m for m in _sent_messages() if m not in before]
    assert sorted(sent) == sorted(
        str(pk) for pk in campaign.drafts.filter(status=Status.SENT).values_list("pk", flat=True)
    )
    assert len(sent) == 10  # ten emails, each once; none to the customer who opted out
    assert campaign.drafts.get(customer=optout).status == Status.SKIPPED
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
