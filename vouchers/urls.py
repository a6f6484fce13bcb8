from __future__ import annotations

from django.urls import path

from vouchers import api, views

app_name = "vouchers"

urlpatterns = [
    path("vouchers/", views.product_list, name="list"),
    path("vouchers/buy/<int:product_id>/", views.buy, name="buy"),
    path("vouchers/mine/", views.my_vouchers, name="mine"),
    path("vouchers/v/<str:code>/", views.detail, name="detail"),
    path("partner/redeem/", views.redeem, name="redeem"),
    path("partner/settlement/", views.settlement, name="settlement"),
    path("partner/settlement.csv", views.settlement_csv, name="settlement_csv"),
    path("api/v1/vouchers/redeem", api.redeem, name="api_redeem"),
    path("api/v1/vouchers/<str:code>", api.lookup, name="api_lookup"),
]
