from __future__ import annotations

from django.urls import path

from wallet import views

app_name = "wallet"

urlpatterns = [
    path("", views.home, name="home"),
    path("send/", views.send, name="send"),
    path("transactions/<int:transaction_id>/", views.transaction_detail, name="transaction"),
]
