from django.contrib import admin

from campaigns.models import Campaign, DraftEvent, EmailDraft


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "provider", "created_by", "created_at"]
    list_filter = ["kind", "status", "provider"]
    search_fields = ["name"]
    filter_horizontal = ["segments"]
    readonly_fields = ["status", "created_by", "created_at", "started_at", "finished_at"]


class DraftEventInline(admin.TabularInline):
    model = DraftEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "from_status", "to_status", "actor", "note", "changes"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailDraft)
class EmailDraftAdmin(admin.ModelAdmin):
    list_display = ["pk", "campaign", "customer", "status", "provider", "risk_class", "sent_at"]
    list_filter = ["status", "provider", "risk_class"]
    list_select_related = ["campaign", "customer"]
    raw_id_fields = ["campaign", "customer"]
    search_fields = ["customer__external_id", "customer__email", "subject"]
    inlines = [DraftEventInline]
    # State moves go through the review pages and the workers, which lock, re-check and log
    # them; the admin only shows them.
    readonly_fields = [f.name for f in EmailDraft._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
