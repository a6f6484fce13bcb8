"""`{% load verification_tags %}{% proof_status claim %}`: the proof status and the upload link of a claim,
for the tasks app's "My tasks" page (one query per claim; the page lists a resident's few claims)."""

from __future__ import annotations

from django import template

from verification.models import Proof

register = template.Library()


@register.inclusion_tag("verification/_claim_proof.html")
def proof_status(claim):
    proof = Proof.objects.filter(claim_id=claim.pk).order_by("-submitted_at", "-pk").first()
    can_upload = claim.status == "active" and (proof is None or proof.status == Proof.Status.CHANGES)
    return {"claim": claim, "proof": proof, "can_upload": can_upload}
