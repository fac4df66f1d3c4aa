from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal key for the JSON API (``Authorization: Bearer <token>``).

    Only the SHA-256 of the token is stored: the token itself is shown once, when it is
    created, and cannot be recovered. A revoked token answers 401 from then on.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CRM sync'.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, so that a user can tell their tokens apart.
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
