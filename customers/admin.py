from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse

from customers.admin_utils import EstimatedCountPaginator, export_as_csv
from customers.models import ContentItem, Customer, ImportJob, Interaction, Product, Segment
from customers.selectors import customer_filter_options


class BaseAdmin(admin.ModelAdmin):
    actions = [export_as_csv]
    list_per_page = 50


@admin.register(Segment)
class SegmentAdmin(BaseAdmin):
    list_display = ("name", "customer_count", "description", "updated_at")
    search_fields = ("name",)
    ordering = ("name",)
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        # A correlated subquery rather than JOIN + GROUP BY: each segment's count is read
        # from the customer index on segment, and the changelist's own COUNT stays a plain
        # count of segments instead of grouping every customer.
        customers = (
            Customer.objects.filter(segment=OuterRef("pk"))
            .order_by()
            .values("segment")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super().get_queryset(request).annotate(customer_count=Coalesce(Subquery(customers), 0))
        )

    @admin.display(description="Customers", ordering="customer_count")
    def customer_count(self, segment: Segment) -> int:
        return segment.customer_count


class _CustomerValueFilter(admin.SimpleListFilter):
    """Lists the distinct values of a customer column from ``customer_filter_options``,
    which walks the column's index, where the stock filter scans the whole table."""

    option_key: str

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return customer_filter_options()[self.option_key]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class CountryFilter(_CustomerValueFilter):
    title = "country"
    parameter_name = "country"
    option_key = "countries"


class PlanFilter(_CustomerValueFilter):
    title = "plan"
    parameter_name = "plan"
    option_key = "plans"


@admin.register(Customer)
class CustomerAdmin(BaseAdmin):
    list_display = (
        "external_id",
        "name",
        "email",
        "segment",
        "country",
        "plan",
        "tenure_months",
        "monthly_spend",
        "churned",
        "signup_date",
    )
    list_display_links = ("external_id", "name")
    list_filter = ("churned", "email_opt_out", "segment", PlanFilter, CountryFilter)
    list_select_related = ("segment",)
    search_fields = ("external_id", "name", "email")
    search_help_text = "External ID, name or email."
    ordering = ("external_id",)
    autocomplete_fields = ("segment",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("external_id", "name", "email", "email_opt_out")}),
        (
            "Account",
            {
                "fields": (
                    "segment",
                    ("country", "region"),
                    "plan",
                    ("signup_date", "tenure_months"),
                    "monthly_spend",
                )
            },
        ),
        ("Churn label", {"fields": ("churned", "churned_at")}),
        ("Imported attributes", {"fields": ("attributes",)}),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def view_on_site(self, customer: Customer) -> str:
        return reverse("customers:detail", args=[customer.pk])


@admin.register(Product)
class ProductAdmin(BaseAdmin):
    list_display = ("name", "sku", "category", "price", "active", "updated_at")
    list_filter = ("active", "category")
    search_fields = ("sku", "name")
    search_help_text = "SKU or name."
    ordering = ("name",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(ContentItem)
class ContentItemAdmin(BaseAdmin):
    list_display = ("title", "slug", "kind", "active", "published_at")
    list_filter = ("kind", "active")
    search_fields = ("title", "slug")
    search_help_text = "Title or slug."
    ordering = ("title",)
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("created_at", "updated_at")


@admin.register(Interaction)
class InteractionAdmin(BaseAdmin):
    """Built for a table of millions of rows.

    No full COUNT (the paginator estimates or stops counting, and there are no facet
    counts), no date hierarchy (it scans the whole table for its first and last dates),
    filters that need no query (kind and date), an exact-match search that an index
    answers, and newest-inserted first, since the primary key is the only index that
    orders the unfiltered table.
    """

    list_display = (
        "occurred_at",
        "kind",
        "customer",
        "product",
        "content_item",
        "quantity",
        "value",
    )
    list_filter = ("kind", "occurred_at")
    list_select_related = ("customer", "product", "content_item")
    search_fields = ("=customer__external_id",)
    search_help_text = "A customer's exact external ID."
    ordering = ("-pk",)
    sortable_by = ("occurred_at",)
    autocomplete_fields = ("customer", "product", "content_item")
    show_full_result_count = False
    # "Show counts" would count every kind across the whole table.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    list_per_page = 100


@admin.register(ImportJob)
class ImportJobAdmin(BaseAdmin):
    """Jobs are created by the import screen and updated by the worker: here they can only
    be looked at, exported and deleted."""

    list_display = (
        "id",
        "kind",
        "original_name",
        "status",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_display_links = ("id", "original_name")
    list_filter = ("status", "kind")
    list_select_related = ("created_by",)
    search_fields = ("original_name",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False
