from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from scoring import views_dashboard

from . import views
from .api import api
from .roles import public

admin.site.site_header = "GrowthAI administration"
admin.site.site_title = "GrowthAI admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("no-role/", views.no_role, name="no_role"),
    path(
        "accounts/login/",
        public(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("customers/", include("customers.urls")),
    path("models/", include("scoring.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler400 = "growthai.views.error_400"
handler403 = "growthai.views.error_403"
handler404 = "growthai.views.error_404"
handler500 = "growthai.views.error_500"
