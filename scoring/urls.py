from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("", views.model_list, name="model_list"),
    path("<int:pk>/", views.model_detail, name="model_detail"),
    path("train/", views.model_train, name="model_train"),
    path("<int:pk>/promote/", views.model_promote, name="model_promote"),
    path("rollback/", views.model_rollback, name="model_rollback"),
    path("score/", views.customers_score, name="customers_score"),
]
