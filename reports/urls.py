from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("staff/dashboard/", views.dashboard, name="dashboard"),
    path("staff/dashboard/<slug:key>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("accounts/my-data/", views.my_data, name="my_data"),
    path("accounts/my-data/eraha-my-data.json", views.my_data_json, name="my_data_json"),
    path("accounts/delete/", views.delete_account, name="delete_account"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
]
