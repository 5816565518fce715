from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .api import TokenView
from .health import healthz
from .throttling import guarded_admin_login

urlpatterns = [
    path("admin/login/", guarded_admin_login, name="admin-login"),  # before admin.site.urls: it shadows the admin's own
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/auth/token/", TokenView.as_view(), name="auth-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("notifications.urls")),
    path("api/", include("documents.urls")),
    path("api/", include("indexing.urls")),
    path("api/", include("quizzes.urls")),
    path("api/", include("studyai.tasks_api")),
]
