from __future__ import annotations

from django.urls import path

from people import views

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("accounts/profile/", views.profile, name="profile"),
]
