from django.conf import settings
from django.db import models
from django.db.models import Q


class ChurnModel(models.Model):
    """One trained version of the churn model: what it was trained on, how good it is, and
    where its artifact (booster + calibrator + feature spec) lives in default storage."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # The model that was active when this one was promoted: "roll back" returns to it.
    previous_active = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    as_of = models.DateTimeField(help_text="Features were computed from data before this time.")
    feature_spec = models.JSONField(default=dict)
    params = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    training_rows = models.PositiveIntegerField(default=0)
    training_positives = models.PositiveIntegerField(default=0)
    artifact = models.FileField(upload_to="churn_models/", max_length=255)
    artifact_sha256 = models.CharField(max_length=64)
    promotion_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="churn_model_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Churn model v{self.version} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TrainingRun(models.Model):
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
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    model = models.ForeignKey(
        ChurnModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Training run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def progress_key(self) -> str:
        return f"churn-training:{self.pk}"


class ScoringRun(models.Model):
    """One batch re-score of every customer; its ``scored_at`` stamps every score it writes,
    so a redelivered task replaces its own partial output instead of duplicating it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    model = models.ForeignKey(
        ChurnModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="scoring_runs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    customers_scored = models.PositiveIntegerField(default=0)
    unknown_categories = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Scoring run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def progress_key(self) -> str:
        return f"churn-scoring:{self.pk}"


class ChurnScore(models.Model):
    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="churn_scores"
    )
    model = models.ForeignKey(ChurnModel, on_delete=models.CASCADE, related_name="scores")
    probability = models.FloatField()
    risk_class = models.CharField(max_length=8, choices=Risk.choices)
    # [{"feature", "label", "value", "contribution", "direction", "text"}], strongest first.
    drivers = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["-scored_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "scored_at"], name="churnscore_customer_time"),
            models.Index(fields=["model", "scored_at"], name="churnscore_model_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.probability:.2f} ({self.risk_class})"


class LatestChurnScore(models.Model):
    """Each customer's most recent churn score, one row per scored customer.

    A projection of ``ChurnScore`` written by the scoring services in the same transaction
    as the scores, so that lists can join, filter and sort on the current risk instead of
    searching the whole score history for every customer. It only moves forward: a score
    older than the one it holds (by ``scored_at``, then id) never replaces it.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="latest_churn_score",
    )
    # Not a cascade from the scores: Django would then load every score it deletes to find
    # the rows here (a model version's scores, a benchmark's reset: hundreds of thousands)
    # instead of deleting them in one statement. The services that delete scores (a
    # re-run's) delete these rows first; deleting a model version or a customer takes its
    # rows by the two keys below.
    score = models.ForeignKey(
        ChurnScore,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # Every nightly run rewrites every row, so each index costs run time: this key is only
    # read when a model version is deleted (rare; a scan then).
    model = models.ForeignKey(
        ChurnModel, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    probability = models.FloatField()
    risk_class = models.CharField(max_length=8, choices=ChurnScore.Risk.choices)
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [
            # "Sort by churn risk", read forwards or backwards.
            models.Index(fields=["probability", "customer"], name="latestscore_probability"),
            # "Risk class X": counted, and listed by probability either way.
            models.Index(fields=["risk_class", "probability", "customer"], name="latestscore_risk"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.probability:.2f} ({self.risk_class})"
