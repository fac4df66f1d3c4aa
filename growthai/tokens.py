"""Issuing, checking and revoking the JSON API's per-user tokens."""

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from growthai.models import ApiToken

TOKEN_PREFIX = "gai_"
# Stamping ``last_used_at`` on every request would write a row per call; once a minute is
# precise enough to tell a live integration from a forgotten token.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_key_set(token: ApiToken) -> str:
    """Give an unsaved ``token`` a fresh key; returns the key, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.key_hash = token_hash(raw)
    token.prefix = raw[: len(TOKEN_PREFIX) + 4]
    return raw


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the token itself, which is never stored."""
    token = ApiToken(user=user, name=name)
    raw = api_token_key_set(token)
    token.save()
    return token, raw


def api_token_revoke(*, token_id: int) -> int:
    """Revoke a token (no-op when already revoked); returns how many rows changed."""
    return ApiToken.objects.filter(pk=token_id, revoked_at=None).update(revoked_at=timezone.now())


def api_token_authenticate(raw: str):
    """The active user owning the unrevoked token ``raw``, or None."""
    if not raw or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at=None)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
