from django.contrib import admin

from recommendations.models import BehaviourModel, CatalogueVersion, ItemEmbedding, RebuildRun


@admin.register(ItemEmbedding)
class ItemEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["item_kind", "item_id", "model_name", "dimensions", "updated_at"]
    list_filter = ["item_kind", "model_name"]
    search_fields = ["=item_id", "text_hash"]
    # Vectors are written by the refresh from the item text; an edit by hand would be
    # overwritten (or, worse, kept) without the text changing.
    readonly_fields = [
        "item_kind",
        "item_id",
        "model_name",
        "text_hash",
        "dimensions",
        "updated_at",
    ]
    exclude = ["vector"]


@admin.register(BehaviourModel)
class BehaviourModelAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "as_of", "created_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = [
        "status",
        "as_of",
        "artifact",
        "parameters",
        "stats",
        "created_at",
        "finished_at",
        "error",
    ]


@admin.register(RebuildRun)
class RebuildRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "status",
        "trigger",
        "embeddings",
        "behaviour",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger"]
    readonly_fields = [
        "status",
        "created_at",
        "started_at",
        "finished_at",
        "report",
        "error",
        "behaviour_model",
    ]


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "updated_at"]
    readonly_fields = ["name", "version", "updated_at"]
