"""Campaign pages, the review queue and a draft's page. Thin: parse a form, call one
service or selector, render. htmx requests get the page's partial (``page.html#name``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from campaigns import selectors, services
from campaigns.forms import (
    BulkApproveForm,
    CampaignForm,
    DraftEditForm,
    DraftStatusFilterForm,
    RejectForm,
    ReviewFilterForm,
    TargetForm,
)
from campaigns.models import Campaign, EmailDraft
from campaigns.providers import gemini_available
from customers.models import Customer
from growthai.roles import Role, role_required, user_has_role

VIEWERS = (Role.MARKETER, Role.MANAGER, Role.ADMIN)
EDITORS = (Role.MARKETER, Role.ADMIN)
CAMPAIGNS_PER_PAGE = 20
DRAFTS_PER_PAGE = 25


def _partial(request: HttpRequest) -> bool:
    # A history-restore request wants the whole page even though it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, template: str, context: dict, *, partial: str | None = None, status=200):
    name = f"{template}#{partial}" if partial and _partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _can_edit(request: HttpRequest) -> bool:
    return user_has_role(request.user, *EDITORS)


def _get(model, pk):
    try:
        if model is Campaign:
            return selectors.campaign_get(pk=pk)
        if model is EmailDraft:
            return selectors.draft_get(pk=pk)
        return Customer.objects.select_related("segment").get(pk=pk)
    except model.DoesNotExist:
        raise Http404(f"No {model._meta.verbose_name} with this id.") from None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- campaigns -------------------------------------------------------------------------


# While a draft is in one of these, its page polls; leaving them ends the polling.
WORKER_BUSY_STATUSES = {"queued", "drafting", "sending"}


@role_required(*VIEWERS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind")
    if kind not in Campaign.Kind.values:
        kind = Campaign.Kind.TARGETED
    page = Paginator(selectors.campaign_list(kind=kind), CAMPAIGNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "kind": kind,
        "kinds": Campaign.Kind.choices,
        "can_edit": _can_edit(request),
    }
    return _render(request, "campaigns/campaign_list.html", context, partial="results")


@role_required(*EDITORS)
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Campaign “{campaign.name}” created. Check it, then start drafting."
            )
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    target = TargetForm(request.POST or None)
    context = {
        "form": form,
        "summary": selectors.recipient_summary(**target.target()),
        "gemini_available": gemini_available(),
    }
    return render(
        request, "campaigns/campaign_form.html", context, status=400 if form.errors else 200
    )


@role_required(*EDITORS)
def recipient_preview(request: HttpRequest) -> HttpResponse:
    form = TargetForm(request.GET)
    context = {"form": form, "summary": selectors.recipient_summary(**form.target())}
    return _render(request, "campaigns/recipient_preview.html", context, partial="count")


@role_required(*VIEWERS)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get(Campaign, pk)
    counts = selectors.campaign_status_counts(campaign=campaign)
    context = {"campaign": campaign, "counts": counts, "can_edit": _can_edit(request)}
    target = request.htmx.target if _partial(request) else None
    if target == "campaign-counts":
        return _render(request, "campaigns/campaign_detail.html", context, partial="counts")
    filters = DraftStatusFilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    context |= {
        "filters": filters,
        "status": status,
        "drafts": Paginator(
            selectors.campaign_drafts(campaign=campaign, status=status), DRAFTS_PER_PAGE
        ).get_page(request.GET.get("page")),
        "recipients": selectors.recipient_summary(
            segment_ids=campaign.segments.values_list("pk", flat=True),
            risk_class=campaign.risk_class,
            min_probability=campaign.min_probability,
            max_recipients=campaign.max_recipients,
        )
        if campaign.status == Campaign.Status.DRAFT
        else None,
    }
    if target == "campaign-drafts":
        return _render(request, "campaigns/campaign_detail.html", context, partial="drafts")
    return _render(request, "campaigns/campaign_detail.html", context)


@role_required(*EDITORS)
@require_POST
def campaign_start(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get(Campaign, pk)
    try:
        count = services.campaign_start_drafting(campaign_id=campaign.pk, user=request.user)
    except services.CampaignActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{count} draft{'s' if count != 1 else ''} queued for writing.")
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


@role_required(*EDITORS)
@require_POST
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get(Campaign, pk)
    try:
        count = services.campaign_send_approved(campaign_id=campaign.pk, user=request.user)
    except services.CampaignActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{count} approved email{'s' if count != 1 else ''} queued for sending."
        )
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


# --- review ----------------------------------------------------------------------------


@role_required(*VIEWERS)
def review_queue(request: HttpRequest) -> HttpResponse:
    form = ReviewFilterForm(request.GET, campaigns=selectors.review_campaign_choices())
    filters = form.valid_data
    page = Paginator(
        selectors.review_queue(
            campaign_id=filters.get("campaign"), risk_class=filters.get("risk") or ""
        ),
        DRAFTS_PER_PAGE,
    ).get_page(filters.get("page"))
    context = {"form": form, "page": page, "can_edit": _can_edit(request)}
    return _render(request, "campaigns/review_queue.html", context, partial="results")


@role_required(*EDITORS)
@require_POST
def review_bulk_approve(request: HttpRequest) -> HttpResponse:
    form = BulkApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the drafts to approve first.")
    else:
        result = services.drafts_approve_bulk(
            draft_ids=form.cleaned_data["draft"], user=request.user
        )
        if result["approved"]:
            messages.success(request, f"Approved {len(result['approved'])} draft(s).")
        if result["skipped"]:
            messages.warning(
                request,
                f"{len(result['skipped'])} draft(s) were not approved: "
                + "; ".join(reason for _, reason in result["skipped"][:3]),
            )
    return redirect(_safe_next(request, reverse("campaigns:review_queue")))


@role_required(*VIEWERS)
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _get(EmailDraft, pk)
    context = _draft_context(request, draft)
    target = request.htmx.target if _partial(request) else None
    if target == "draft-live":
        if draft.status not in WORKER_BUSY_STATUSES:
            # The worker is done: the context, history and actions outside the polled
            # status box changed too, so the whole page is rendered afresh.
            return HttpResponseClientRefresh()
        return _render(request, "campaigns/draft_detail.html", context, partial="live")
    if target == "draft-text":
        return _render(request, "campaigns/draft_detail.html", context, partial="text")
    return _render(request, "campaigns/draft_detail.html", context)


def _draft_context(request, draft: EmailDraft, **extra) -> dict:
    return {
        "draft": draft,
        "context": draft.context or {},
        "events": selectors.draft_events(draft=draft),
        "can_edit": _can_edit(request),
        "reject_form": RejectForm(),
        **selectors.draft_neighbours(draft=draft),
        **extra,
    }


@role_required(*EDITORS)
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _get(EmailDraft, pk)
    if request.method == "POST":
        form = DraftEditForm(request.POST)
        if form.is_valid():
            try:
                draft = services.draft_edit(
                    draft_id=draft.pk, user=request.user, **form.cleaned_data
                )
            except (ValidationError, services.DraftStateError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            else:
                if _partial(request):
                    draft = _get(EmailDraft, pk)
                    return _render(
                        request,
                        "campaigns/draft_detail.html",
                        _draft_context(request, draft) | {"history_oob": True},
                        partial="text",
                    )
                messages.success(request, "Draft saved.")
                return redirect("campaigns:draft_detail", pk=draft.pk)
    else:
        form = DraftEditForm(
            initial={"subject": draft.subject, "body": draft.body, "offer": draft.offer}
        )
    context = _draft_context(request, draft, form=form, editing=True)
    # Errors come back with 200 so that htmx swaps the form in with its messages.
    return _render(request, "campaigns/draft_detail.html", context, partial="editor")


def _draft_action(request, pk: int, action, success: str) -> HttpResponse:
    draft = _get(EmailDraft, pk)
    try:
        action(draft)
    except (services.CampaignActionError, ValidationError) as exc:
        messages.error(
            request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        )
        return redirect("campaigns:draft_detail", pk=draft.pk)
    messages.success(request, success)
    next_id = request.POST.get("next_pending")
    if next_id and next_id.isdigit():
        return redirect("campaigns:draft_detail", pk=int(next_id))
    return redirect(_safe_next(request, reverse("campaigns:draft_detail", args=[draft.pk])))


@role_required(*EDITORS)
@require_POST
def draft_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _draft_action(
        request,
        pk,
        lambda d: services.draft_approve(draft_id=d.pk, user=request.user),
        "Draft approved.",
    )


@role_required(*EDITORS)
@require_POST
def draft_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _draft_action(
        request,
        pk,
        lambda d: services.draft_reject(draft_id=d.pk, user=request.user, reason=reason),
        "Draft rejected.",
    )


@role_required(*EDITORS)
@require_POST
def draft_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    return _draft_action(
        request,
        pk,
        lambda d: services.draft_regenerate(draft_id=d.pk, user=request.user),
        "Draft queued to be written again; the current text stays in its history.",
    )


@role_required(*EDITORS)
@require_POST
def draft_send(request: HttpRequest, pk: int) -> HttpResponse:
    def send(draft):
        if not services.drafts_send_request(draft_ids=[draft.pk], user=request.user):
            raise services.DraftStateError("Only an approved draft can be sent.")

    return _draft_action(request, pk, send, "Email queued for sending.")


# --- one customer: the original /predict and /campaign/generate --------------------------


@role_required(*VIEWERS)
def customer_retention(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get(Customer, pk)
    context = {
        **selectors.customer_prediction_with_offer(customer=customer),
        **selectors.customer_retention_panel(customer=customer),
        "can_edit": _can_edit(request),
        "gemini_available": gemini_available(),
    }
    return render(request, "campaigns/customer_retention.html", context)


@role_required(*EDITORS)
@require_POST
def customer_draft(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _get(Customer, pk)
    try:
        draft = services.draft_generate_for_customer(customer_id=customer.pk, user=request.user)
    except services.CampaignActionError as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:customer_retention", pk=customer.pk)
    messages.success(request, "Retention email queued for writing; it will wait for review here.")
    return redirect("campaigns:draft_detail", pk=draft.pk)
