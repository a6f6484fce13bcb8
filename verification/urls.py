from __future__ import annotations

from django.urls import path

from verification import views

app_name = "verification"

urlpatterns = [
    path("staff/queue/", views.queue, name="queue"),
    path("staff/queue/<int:proof_id>/", views.queue_proof, name="queue_proof"),
    path("staff/queue/<int:proof_id>/decide/", views.decide, name="decide"),
    path("proofs/", views.my_proofs, name="my_proofs"),
    path("proofs/claim/<int:claim_id>/", views.submit, name="submit"),
    path("proofs/<int:proof_id>/", views.proof_detail, name="proof"),
    path("proofs/<int:proof_id>/appeal/", views.appeal, name="appeal"),
    path("proofs/<int:proof_id>/confirm/", views.poster_decision, name="poster_decision"),
    path("proofs/<int:proof_id>/dispute/", views.dispute, name="dispute"),
    path("proofs/photo/<int:photo_id>/<str:size>/", views.photo, name="photo"),
]
