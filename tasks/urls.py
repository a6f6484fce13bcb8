from __future__ import annotations

from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("map.json", views.task_map_data, name="map_data"),
    path("mine/", views.my_tasks, name="mine"),
    path("new/", views.post_peer_task, name="new"),
    path("screen/", views.screen_preview, name="screen"),
    path("<int:task_id>/", views.task_detail, name="detail"),
    path("<int:task_id>/claim/", views.claim, name="claim"),
    path("<int:task_id>/edit/", views.edit_task, name="edit"),
    path("<int:task_id>/cancel/", views.cancel, name="cancel"),
    path("claims/<int:claim_id>/give-up/", views.give_up, name="give_up"),
    path("publish/", views.publisher_home, name="publisher_home"),
    path("publish/new/", views.new_city_task, name="new_city"),
    path("publish/templates/new/", views.template_form, name="template_new"),
    path("publish/templates/<int:template_id>/edit/", views.template_form, name="template_edit"),
    path("publish/templates/<int:template_id>/", views.template_batch, name="template_batch"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/<int:decision_id>/", views.moderation_decide, name="moderate"),
]
