from __future__ import annotations

from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("wallet/top-up/", views.top_up, name="top_up"),
    path("wallet/top-up/preview/", views.preview, name="preview"),
    path("wallet/top-up/<int:top_up_id>/", views.status, name="status"),
    path("wallet/top-up/<int:top_up_id>/cancelled/", views.cancelled, name="cancelled"),
    path("wallet/top-up/reconciliation/", views.reconciliation, name="reconciliation"),
    path("stripe/webhook/", views.webhook, name="webhook"),
]
