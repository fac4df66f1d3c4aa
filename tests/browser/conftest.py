"""Browser tests: a real Chromium (Debian's, through Playwright) against pytest-django's
live server, with a real Celery worker wherever a page queues work.

- ``site``: the live server (transactional; the root conftest adds serialized rollback so
  the role groups survive) plus helpers to sign in through the login form.
- ``page``: a Playwright page in a fresh Chromium profile (a new user-data dir per test).
- ``snap``: saves a full-page PNG to ``test-artifacts/screenshots/`` at each key step.

Without ``/usr/bin/chromium`` the tests are skipped locally and fail in CI (``CI`` set).
"""

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("GROWTHAI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"  # the factories' password
TIMEOUT_MS = 30_000


def _chromium_or_skip() -> str:
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    found = shutil.which("chromium")
    if found:
        return found
    message = f"Chromium not found at {CHROMIUM} (install Debian's `chromium` package)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must install it (see .ci/run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return _chromium_or_skip()


@pytest.fixture(scope="module")
def playwright_instance(chromium_path, django_db_setup, django_db_blocker):
    """Playwright's sync API, with Django's connections carried over to its context.

    The sync API leaves an asyncio loop marked as running in this thread while it is
    started, so meanwhile:

    - Django's ORM, which the tests use to set up data, would refuse to run ("async unsafe")
      unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set; it is set only while Playwright runs.
    - Django (through asgiref's ``Local``) hands this thread a second set of connection
      objects. Those lack the snapshot serialized rollback restores the migrated rows (the
      role groups) from, so it is copied across; and they are closed before Playwright
      stops, so that PostgreSQL can drop the test database at the end.

    Module scope: the tests that run after the browser modules get the normal state back.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    snapshots = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as monkeypatch, sync_playwright() as playwright:
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, contents in snapshots.items():
            connections[alias]._test_serialized_contents = contents
        try:
            yield playwright
        finally:
            with django_db_blocker.unblock():
                connections.close_all()


@pytest.fixture
def browser_context(playwright_instance, chromium_path, tmp_path):
    """A Chromium with its own fresh profile directory for this test only."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Emptied once per run, so the folder holds only this run's pictures."""
    if SCREENSHOTS.exists():
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def snap(page, request, screenshot_dir) -> Iterator:
    """``snap("step-name")`` saves a full-page screenshot named after the test and step."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    counter = {"n": 0}

    def take(step: str, target=None) -> Path:
        counter["n"] += 1
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-")
        path = screenshot_dir / f"{test_name}-{counter['n']:02d}-{slug}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    yield take
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # The page may be gone; the failure itself matters more than this picture.
        with contextlib.suppress(Exception):
            take("FAILED")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Site:
    """The live server's address and the few browser steps every test repeats."""

    def __init__(self, live_server):
        self.url = live_server.url

    def __call__(self, path: str) -> str:
        return self.url + path

    def sign_in(self, page, username: str, password: str = PASSWORD) -> None:
        page.goto(self("/accounts/login/"))
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("form button[type=submit]:has-text('Sign in')")
        assert "/accounts/login/" not in page.url, "sign-in failed"

    def sign_out(self, page) -> None:
        with page.expect_navigation():
            page.click(".userbox button:has-text('Sign out')")

    @staticmethod
    def nav_labels(page) -> list[str]:
        return [text.strip() for text in page.locator("nav.mainnav a").all_inner_texts()]

    @staticmethod
    def set_marker(page) -> str:
        """Put a value on ``window`` that only survives if the page is never reloaded."""
        page.evaluate("window.__growthaiMarker = 'still-here'")
        return "still-here"

    @staticmethod
    def marker(page):
        return page.evaluate("window.__growthaiMarker || null")


@pytest.fixture
def site(live_server, transactional_db) -> Site:
    return Site(live_server)
