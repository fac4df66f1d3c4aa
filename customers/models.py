from django.conf import settings
from django.db import models
from django.db.models import Q


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Segment(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel):
    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    country = models.CharField(max_length=64, blank=True, db_index=True)
    region = models.CharField(max_length=64, blank=True)
    plan = models.CharField(max_length=64, blank=True, db_index=True)
    signup_date = models.DateField(null=True, blank=True)
    tenure_months = models.PositiveIntegerField(null=True, blank=True)
    monthly_spend = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Domain-specific columns (the Telco services, a CRM's custom fields...), typed on import.
    attributes = models.JSONField(default=dict, blank=True)
    # None means "not known yet": today's customers are scored but never trained on.
    churned = models.BooleanField(null=True, blank=True)
    churned_at = models.DateField(null=True, blank=True)
    email_opt_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["external_id"]
        indexes = [
            models.Index(fields=["segment", "country", "plan"], name="customer_filters_idx"),
            models.Index(fields=["churned"], name="customer_churned_idx"),
            # The customer list sorts with NULLs last and the primary key as tie-break. The
            # descending twins of these (DESC NULLS LAST) exist on PostgreSQL only, created by
            # migration 0003, since SQLite cannot build them.
            models.Index(fields=["name", "id"], name="customer_sort_name"),
            models.Index(fields=["monthly_spend", "id"], name="customer_sort_monthly_spend"),
            models.Index(fields=["tenure_months", "id"], name="customer_sort_tenure_months"),
            models.Index(fields=["signup_date", "id"], name="customer_sort_signup_date"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.external_id} ({self.external_id})"


class Product(TimeStampedModel):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ContentItem(TimeStampedModel):
    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        VIDEO = "video", "Video"
        PODCAST = "podcast", "Podcast"

    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=255)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ARTICLE)
    tags = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["kind"], name="content_kind_idx")]

    def __str__(self) -> str:
        return self.title


# The number of customers, kept by PostgreSQL triggers on the customer table (migration
# 0006) in this table, which is not a Django model on purpose: dumpdata/loaddata would
# otherwise copy its rows next to the customers whose inserts already add them again. One
# row per INSERT, COPY or DELETE statement holds that statement's change; the sum is the
# exact number of customers, read in well under a millisecond where COUNT(*) over 100,000
# customers takes 5-8 ms, the largest part of a customer list request. One row per
# statement rather than one shared counter row, so concurrent writers never wait on each
# other; ``customer_count_compact`` folds the rows into one after bulk loads. SQLite has
# neither the table nor the triggers, and counts instead.
CUSTOMER_COUNT_TABLE = "customers_count_delta"


class Interaction(models.Model):
    class Kind(models.TextChoices):
        VIEW = "view", "View"
        CLICK = "click", "Click"
        ADD_TO_CART = "add_to_cart", "Add to cart"
        PURCHASE = "purchase", "Purchase"
        RETURN = "return", "Return"
        SUPPORT_TICKET = "support_ticket", "Support ticket"
        EMAIL_OPEN = "email_open", "Email open"
        EMAIL_CLICK = "email_click", "Email click"

    # The (item, occurred_at) composite indexes below serve every lookup by these keys;
    # single-column indexes on top would only slow the bulk imports of millions of rows.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,
    )
    content_item = models.ForeignKey(
        ContentItem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(default=1)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField()
    # Natural key of the source row, so that importing the same file twice adds nothing.
    # Unique through a constraint, not unique=True: PostgreSQL would get a second,
    # never-used LIKE index on it.
    source_ref = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer_time"),
            models.Index(fields=["product", "occurred_at"], name="interaction_product_time"),
            models.Index(fields=["content_item", "occurred_at"], name="interaction_content_time"),
            models.Index(fields=["kind", "occurred_at"], name="interaction_kind_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=True) | Q(content_item__isnull=True),
                name="interaction_one_item_at_most",
            ),
            models.UniqueConstraint(fields=["source_ref"], name="interaction_source_ref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.customer_id} at {self.occurred_at:%Y-%m-%d}"


class ImportJob(models.Model):
    """One upload of a file through the import screen, run by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.original_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}
