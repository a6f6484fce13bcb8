from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from eraha import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readiness", views.readiness, name="readiness"),
    path("", include("people.urls")),
    path("tasks/", include("tasks.urls")),
    path("", include("verification.urls")),
    path("accounts/", include("allauth.urls")),
    path("wallet/", include("wallet.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "eraha.views.bad_request"
handler403 = "eraha.views.permission_denied"
handler404 = "eraha.views.page_not_found"
handler500 = "eraha.views.server_error"
