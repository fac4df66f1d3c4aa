from django.urls import path

from . import views

app_name = "recommendations"

urlpatterns = [
    path("customers/<int:pk>/", views.customer_recommendations, name="customer"),
]
