from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from growthai.roles import Role, role_required


@role_required(Role.ADMIN)
def import_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # built in the imports work


@require_POST
@role_required(Role.ADMIN)
def import_create(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@role_required(Role.ADMIN)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
