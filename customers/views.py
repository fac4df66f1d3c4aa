from django.http import HttpRequest, HttpResponse

from growthai.roles import ALL_ROLES, role_required


@role_required(*ALL_ROLES)
def customer_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # built in the pages work


@role_required(*ALL_ROLES)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
