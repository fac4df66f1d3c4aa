from django.conf import settings
from django.db import models


class ItemKind(models.TextChoices):
    PRODUCT = "product", "Product"
    CONTENT = "content", "Content"


class ItemEmbedding(models.Model):
    """The sentence embedding of one product's or content item's text.

    Keyed by kind and id rather than by foreign keys so that one table (and one query) holds
    the whole catalogue matrix; rows of deleted items are pruned by the next refresh.
    """

    item_kind = models.CharField(max_length=16, choices=ItemKind.choices)
    item_id = models.PositiveBigIntegerField()
    # Which model produced the vector: a change of model recomputes every row.
    model_name = models.CharField(max_length=255)
    # SHA-256 of the exact (truncated) text embedded: a row is recomputed only when it changes.
    text_hash = models.CharField(max_length=64)
    dimensions = models.PositiveSmallIntegerField()
    vector = models.BinaryField(help_text="float32, little-endian, L2-normalised")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item_kind", "item_id"], name="item_embedding_item"),
        ]

    def __str__(self) -> str:
        return f"Embedding of {self.item_kind} {self.item_id}"


class CatalogueVersion(models.Model):
    """A counter per shared artefact, bumped whenever it changes.

    Serving processes keep the catalogue matrix in memory and compare these counters on
    each call (one small query) instead of reloading thousands of vectors.
    """

    name = models.CharField(max_length=32, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class BehaviourModel(models.Model):
    """One build of the item-to-item model learnt from interactions, stored as an artifact
    (neighbours, popularity, cohort popularity) in default storage."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    as_of = models.DateTimeField(help_text="Built from interactions before this time.")
    artifact = models.FileField(upload_to="recommendations/", max_length=255, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-id"], name="behaviour_model_ready_idx")]

    def __str__(self) -> str:
        return f"Behaviour model #{self.pk} ({self.status})"


class RebuildRun(models.Model):
    """One rebuild of the recommendation signals, queued from the UI, the schedule or the
    shell, and run by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command line"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    embeddings = models.BooleanField(default=True)
    behaviour = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    behaviour_model = models.ForeignKey(
        BehaviourModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Recommendations rebuild #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}
