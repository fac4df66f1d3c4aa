from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("recipients/", views.recipient_preview, name="recipient_preview"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/start/", views.campaign_start, name="campaign_start"),
    path("<int:pk>/send/", views.campaign_send, name="campaign_send"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/approve/", views.review_bulk_approve, name="review_bulk_approve"),
    path("drafts/<int:pk>/", views.draft_detail, name="draft_detail"),
    path("drafts/<int:pk>/edit/", views.draft_edit, name="draft_edit"),
    path("drafts/<int:pk>/approve/", views.draft_approve, name="draft_approve"),
    path("drafts/<int:pk>/reject/", views.draft_reject, name="draft_reject"),
    path("drafts/<int:pk>/regenerate/", views.draft_regenerate, name="draft_regenerate"),
    path("drafts/<int:pk>/send/", views.draft_send, name="draft_send"),
    path("customers/<int:pk>/", views.customer_retention, name="customer_retention"),
    path("customers/<int:pk>/draft/", views.customer_draft, name="customer_draft"),
]
