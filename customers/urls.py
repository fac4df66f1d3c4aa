from django.urls import path

from . import views, views_catalog, views_imports

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/new/", views_imports.import_create, name="import_create"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("products/", views_catalog.product_list, name="product_list"),
    path("products/<int:pk>/", views_catalog.product_detail, name="product_detail"),
    path("content/", views_catalog.content_list, name="content_list"),
    path("content/<int:pk>/", views_catalog.content_detail, name="content_detail"),
]
