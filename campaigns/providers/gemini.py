"""Drafts written by Gemini through the google-genai client.

Retries happen in two layers whose product is capped:

- in the client: ``HttpRetryOptions`` retries 429/500/502/503/504 and timeouts up to
  GEMINI_CLIENT_ATTEMPTS times with exponential backoff and jitter (without these options
  google-genai makes one attempt and raises on the first 429 or 5xx);
- in Celery: the drafting task runs again only while (runs x client attempts) stays within
  GEMINI_MAX_ATTEMPTS (see ``campaigns.services.draft_generate``).

The client's backoff ignores Retry-After, so two httpx event hooks add it: the response hook
reads Retry-After of a 429/503 and the request hook of the next attempt waits until it has
passed. A Retry-After longer than GEMINI_RETRY_AFTER_INLINE_MAX ends the call at once and
the task is re-run after it instead. The request hook also takes a token from the shared
rate limiter, so every HTTP attempt, retries included, counts against
GEMINI_REQUESTS_PER_MINUTE.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from django.conf import settings
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from campaigns import ratelimit
from campaigns.models import Provider
from campaigns.prompts import PROMPT_VERSION, RESPONSE_SCHEMA, build_prompt
from campaigns.providers.base import (
    DraftText,
    ProviderError,
    ProviderOutputError,
    ProviderTransientError,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUS_CODES = [429, 500, 502, 503, 504]


def _http_exceptions() -> tuple[tuple[type, ...], tuple[type, ...]]:
    timeouts: list[type] = []
    transport: list[type] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        transport.append(module.TransportError)
    return tuple(timeouts), tuple(transport)


TIMEOUT_ERRORS, TRANSPORT_ERRORS = _http_exceptions()


class _RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"Retry-After {seconds:.0f}s")
        self.seconds = seconds


@dataclass
class _CallState:
    http_attempts: int = 0
    not_before: float = 0.0  # time.monotonic() before which the next attempt must not go
    retry_after: float | None = None
    rate_limit_wait: float = 0.0
    inline_max: float = 10.0


_local = threading.local()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _before_request(request) -> None:
    state: _CallState | None = getattr(_local, "call", None)
    if state is None:
        return
    delay = state.not_before - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    state.rate_limit_wait += ratelimit.acquire()
    state.http_attempts += 1


def _after_response(response) -> None:
    state: _CallState | None = getattr(_local, "call", None)
    if state is None or response.status_code not in (429, 503):
        return
    seconds = parse_retry_after(response.headers.get("retry-after"))
    if seconds is None:
        return
    state.retry_after = seconds
    # Every worker holds off, not only this one: the quota is shared.
    ratelimit.pause(seconds)
    if seconds > state.inline_max:
        raise _RetryLater(seconds)
    state.not_before = time.monotonic() + seconds


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str
    model: str
    base_url: str
    api_version: str
    timeout_seconds: float
    client_attempts: int
    initial_delay: float
    max_delay: float
    jitter: float
    temperature: float
    retry_after_inline_max: float

    @classmethod
    def from_settings(cls) -> GeminiConfig:
        return cls(
            api_key=settings.GEMINI_API_KEY,
            model=settings.GEMINI_MODEL,
            base_url=settings.GEMINI_BASE_URL,
            api_version=settings.GEMINI_API_VERSION,
            timeout_seconds=settings.GEMINI_TIMEOUT_SECONDS,
            client_attempts=client_attempts(),
            initial_delay=settings.GEMINI_RETRY_INITIAL_DELAY,
            max_delay=settings.GEMINI_RETRY_MAX_DELAY,
            jitter=settings.GEMINI_RETRY_JITTER,
            temperature=settings.GEMINI_TEMPERATURE,
            retry_after_inline_max=settings.GEMINI_RETRY_AFTER_INLINE_MAX,
        )


def client_attempts() -> int:
    return max(1, min(settings.GEMINI_CLIENT_ATTEMPTS, settings.GEMINI_MAX_ATTEMPTS))


def build_client(config: GeminiConfig) -> genai.Client:
    return genai.Client(
        api_key=config.api_key,
        http_options=types.HttpOptions(
            base_url=config.base_url or None,
            api_version=config.api_version,
            timeout=int(config.timeout_seconds * 1000),
            retry_options=types.HttpRetryOptions(
                attempts=config.client_attempts,
                initial_delay=config.initial_delay,
                max_delay=config.max_delay,
                exp_base=2,
                jitter=config.jitter,
                http_status_codes=RETRYABLE_STATUS_CODES,
            ),
            client_args={
                "event_hooks": {"request": [_before_request], "response": [_after_response]}
            },
        ),
    )


def _client(config: GeminiConfig) -> genai.Client:
    # One client (and connection pool) per thread: building one costs an SSL context, and
    # the threads pool of the io worker runs many drafts at once.
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != config:
        cached = (config, build_client(config))
        _local.client = cached
    return cached[1]


class GeminiProvider:
    name = Provider.GEMINI

    def __init__(self, config: GeminiConfig) -> None:
        self.config = config
        self.model_name = config.model

    @classmethod
    def from_settings(cls) -> GeminiProvider:
        return cls(GeminiConfig.from_settings())

    def write(self, context: dict) -> DraftText:
        prompt = build_prompt(context)
        state = _CallState(inline_max=self.config.retry_after_inline_max)
        _local.call = state
        started = time.monotonic()
        try:
            response = _client(self.config).models.generate_content(
                model=self.config.model,
                contents=prompt.user,
                config=types.GenerateContentConfig(
                    system_instruction=prompt.system,
                    response_mime_type="application/json",
                    response_schema=RESPONSE_SCHEMA,
                    temperature=self.config.temperature,
                    max_output_tokens=2048,
                ),
            )
        except _RetryLater as exc:
            raise ProviderTransientError(
                f"Gemini is rate-limiting (HTTP 429) and asked to wait {exc.seconds:.0f} s.",
                retry_after=exc.seconds,
                http_attempts=state.http_attempts,
            ) from exc
        except ratelimit.RateLimited as exc:
            raise ProviderTransientError(
                "The Gemini request budget (GEMINI_REQUESTS_PER_MINUTE) is used up; "
                f"the next request is possible in {exc.wait:.0f} s.",
                retry_after=exc.wait,
                http_attempts=state.http_attempts,
            ) from exc
        except genai_errors.APIError as exc:
            detail = exc.message or exc.status or ""
            if exc.code in RETRYABLE_STATUS_CODES:
                raise ProviderTransientError(
                    f"Gemini answered HTTP {exc.code} {detail} "
                    f"({state.http_attempts} attempt(s)).".replace("  ", " "),
                    retry_after=state.retry_after,
                    http_attempts=state.http_attempts,
                ) from exc
            raise ProviderError(f"Gemini refused the request: HTTP {exc.code} {detail}") from exc
        except TIMEOUT_ERRORS as exc:
            raise ProviderTransientError(
                f"Gemini did not answer within {self.config.timeout_seconds:g} s "
                f"({state.http_attempts} attempt(s)).",
                http_attempts=state.http_attempts,
            ) from exc
        except TRANSPORT_ERRORS as exc:
            raise ProviderTransientError(
                f"Could not reach Gemini: {exc.__class__.__name__} {exc}",
                http_attempts=state.http_attempts,
            ) from exc
        except ValueError as exc:  # an answer that is not the API's JSON at all
            raise ProviderOutputError(f"Gemini sent an unreadable answer: {exc}"[:500]) from exc
        finally:
            _local.call = None
        return self._parse(response, state=state, seconds=time.monotonic() - started)

    def _parse(self, response, *, state: _CallState, seconds: float) -> DraftText:
        candidates = getattr(response, "candidates", None) or []
        if not candidates:
            feedback = getattr(response, "prompt_feedback", None)
            reason = getattr(feedback, "block_reason", None)
            raise ProviderOutputError(
                f"Gemini returned no draft{f' (blocked: {reason})' if reason else ''}."
            )
        text = response.text or ""
        try:
            data = json.loads(text)
        except ValueError as exc:
            finish = getattr(candidates[0], "finish_reason", None)
            raise ProviderOutputError(
                f"Gemini returned malformed JSON ({exc.msg} at character {exc.pos}"
                f"{f', finish reason {finish}' if finish else ''}): {text[:200]!r}"
            ) from exc
        if not isinstance(data, dict) or not all(
            isinstance(data.get(key), str) for key in ("subject", "body")
        ):
            raise ProviderOutputError(
                f"Gemini's JSON lacks a text subject and body: {text[:200]!r}"
            )
        offer = data.get("offer")
        usage = getattr(response, "usage_metadata", None)
        return DraftText(
            subject=data["subject"],
            body=data["body"],
            offer=offer if isinstance(offer, str) else "",
            provider=self.name,
            model_name=getattr(response, "model_version", None) or self.config.model,
            prompt_version=PROMPT_VERSION,
            meta={
                "http_attempts": state.http_attempts,
                "seconds": round(seconds, 3),
                "rate_limit_wait": round(state.rate_limit_wait, 3),
                "tokens": getattr(usage, "total_token_count", None),
            },
        )
