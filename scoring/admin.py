from django.contrib import admin

from scoring.models import ChurnModel, ChurnScore, ScoringRun, TrainingRun


@admin.register(ChurnModel)
class ChurnModelAdmin(admin.ModelAdmin):
    list_display = ["version", "status", "created_at", "promoted_at", "training_rows"]
    list_filter = ["status"]
    # Status changes go through promote / roll back, which keep one model active.
    readonly_fields = [
        "version",
        "status",
        "created_at",
        "promoted_at",
        "retired_at",
        "previous_active",
        "as_of",
        "feature_spec",
        "params",
        "metrics",
        "training_rows",
        "training_positives",
        "artifact",
        "artifact_sha256",
    ]


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "trigger", "created_by", "created_at", "finished_at", "model"]
    list_filter = ["status", "trigger"]
    readonly_fields = ["created_at", "started_at", "finished_at", "model", "error"]


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "model", "customers_scored", "created_at", "finished_at"]
    list_filter = ["status"]


@admin.register(ChurnScore)
class ChurnScoreAdmin(admin.ModelAdmin):
    list_display = ["customer", "model", "probability", "risk_class", "scored_at"]
    list_filter = ["risk_class", "model"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "model"]

    # Scores are history written by the scoring services, which also keep each customer's
    # latest score (LatestChurnScore) in step; a hand edit or delete here would not.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
