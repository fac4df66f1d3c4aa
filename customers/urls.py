from django.urls import path

from . import views, views_imports

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/new/", views_imports.import_create, name="import_create"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import_detail"),
]
