from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from eraha import views

# The admin signs in through allauth, so the same MFA and rate limits apply.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "eRaha"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readiness", views.readiness, name="readiness"),
    path("", include("people.urls")),
    path("tasks/", include("tasks.urls")),
    path("", include("verification.urls")),
    # Card top-ups: /wallet/top-up/... and /stripe/webhook/ (before the wallet include, which owns /wallet/).
    path("", include("payments.urls")),
    path("", include("reports.urls")),
    path("accounts/", include("allauth.urls")),
    path("wallet/", include("wallet.urls")),
    path("admin/", admin.site.urls),
    path("", include("vouchers.urls")),
    path("notifications/", include("notifications.urls")),
]

handler400 = "eraha.views.bad_request"
handler403 = "eraha.views.permission_denied"
handler404 = "eraha.views.page_not_found"
handler500 = "eraha.views.server_error"
