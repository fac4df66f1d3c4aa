"""Draft writers: Gemini through google-genai, and an offline template that needs nothing.

``provider_for(name)`` picks one; Gemini without GEMINI_API_KEY falls back to the template,
and the draft records which one actually wrote it.
"""

from __future__ import annotations

from django.conf import settings

from campaigns.models import Provider
from campaigns.providers.base import (
    DraftProvider,
    DraftText,
    ProviderError,
    ProviderOutputError,
    ProviderTransientError,
)

__all__ = [
    "DraftProvider",
    "DraftText",
    "ProviderError",
    "ProviderOutputError",
    "ProviderTransientError",
    "default_provider_name",
    "gemini_available",
    "provider_for",
]


def gemini_available() -> bool:
    return bool(getattr(settings, "GEMINI_API_KEY", ""))


def default_provider_name() -> str:
    return Provider.GEMINI if gemini_available() else Provider.TEMPLATE


def provider_for(name: str | None) -> DraftProvider:
    if name == Provider.GEMINI and gemini_available():
        from campaigns.providers.gemini import GeminiProvider

        return GeminiProvider.from_settings()
    from campaigns.providers.template import TemplateProvider

    return TemplateProvider()
