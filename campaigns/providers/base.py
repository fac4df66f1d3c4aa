"""What every draft writer implements, and the errors it may raise.

A provider gets a draft's context snapshot (see ``campaigns.context``) and returns the
subject, body and offer. It does no validation of its own beyond parsing: the caller runs
``campaigns.validation.clean_draft`` on whatever comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class DraftText:
    subject: str
    body: str
    offer: str
    provider: str
    model_name: str
    prompt_version: str
    meta: dict = field(default_factory=dict)  # attempts, waits, token counts...


class ProviderError(Exception):
    """Drafting failed and trying again will not help; the message is shown to reviewers."""


class ProviderTransientError(ProviderError):
    """Drafting failed for now (rate limit, 5xx, timeout); it may succeed later.

    ``retry_after``: seconds the service asked us to wait (Retry-After), if it said.
    ``http_attempts``: HTTP requests this call made, counted against GEMINI_MAX_ATTEMPTS.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, http_attempts: int = 1):
        super().__init__(message)
        self.retry_after = retry_after
        self.http_attempts = http_attempts


class ProviderOutputError(ProviderError):
    """The provider answered, but not with a usable draft (malformed JSON, empty...)."""


class DraftProvider(Protocol):
    name: str
    model_name: str

    def write(self, context: dict) -> DraftText: ...
