from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from customers.importing.errors import ImportFileError
from customers.importing.forms import ImportForm
from customers.importing.selectors import import_job_list, import_job_progress, import_kinds
from customers.importing.services import import_job_create
from growthai.roles import Role, role_required

JOBS_PER_PAGE = 20
REJECTED_ROWS_PER_PAGE = 50


def _render_list(request: HttpRequest, form: ImportForm, *, status: int = 200) -> HttpResponse:
    jobs = Paginator(import_job_list(), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "jobs": jobs, "kinds": import_kinds()}
    return render(request, "customers/import_list.html", context, status=status)


@require_GET
@role_required(Role.ADMIN)
def import_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, ImportForm(initial={"id_column": "id"}))


@require_POST
@role_required(Role.ADMIN)
def import_create(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = import_job_create(
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
                options=form.import_options(),
                partial=form.cleaned_data["partial"],
                user=request.user,
            )
        except ImportFileError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{job.original_name} is queued for import.")
            return redirect("customers:import_detail", pk=job.pk)
    return _render_list(request, form, status=400)


@require_GET
@role_required(Role.ADMIN)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(import_job_list(), pk=pk)
    report = job.report or {}
    context = {
        "job": job,
        "report": report,
        "progress": import_job_progress(job=job),
        "rejected": Paginator(report.get("rejected") or [], REJECTED_ROWS_PER_PAGE).get_page(
            request.GET.get("page")
        ),
    }
    template = "customers/import_detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context)
