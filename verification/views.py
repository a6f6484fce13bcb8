"""Views: proof upload, the resident's proofs, the verification queue, photos, appeals, peer decisions."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from eraha.ratelimit import rate_limit
from tasks.models import Claim
from verification import access, selectors, services
from verification.exceptions import VerificationError
from verification.forms import DecisionForm, MessageForm, PosterDecisionForm, ProofForm
from verification.models import Decision, Proof, RiskPolicy
from verification.photos import DEFAULT_LIMITS


def _too_large_request(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    limit = RiskPolicy.current().max_photos * DEFAULT_LIMITS.max_bytes + 1024 * 1024
    return length > limit


@login_required
@rate_limit("proof_uploads")
def submit(request, claim_id: int):
    claim = access.get_claim_for_upload(request.user, claim_id)
    task = claim.task
    if request.method == "POST" and _too_large_request(request):
        form = ProofForm(before_after=task.before_after)
        form.add_error(None, _("The upload is too large. Send fewer or smaller photos."))
        return render(request, "verification/upload.html", {"form": form, "claim": claim, "task": task}, status=413)
    form = ProofForm(request.POST or None, request.FILES or None, before_after=task.before_after)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                proof = services.submit_proof(
                    claim=claim,
                    resident=request.user,
                    uploads=form.uploads(),
                    note=form.cleaned_data["note"],
                    submission_key=form.cleaned_data["submission_key"],
                    now=timezone.now(),
                )
            except VerificationError as exc:
                form.add_error(None, exc.message)
                status = 409 if exc.code == "proof_not_allowed" else 400
            else:
                if proof.status == Proof.Status.APPROVED:
                    messages.success(request, _("Your proof was approved and the reward paid to your wallet."))
                elif proof.status == Proof.Status.PEER_PENDING:
                    messages.success(request, _("Your proof was sent to the poster for confirmation."))
                else:
                    messages.success(request, _("Your proof was sent. A verifier will look at it soon."))
                return redirect("verification:proof", proof_id=proof.pk)
        elif not form.errors:
            form.add_error(None, _("The form could not be read. Try again."))
    return render(request, "verification/upload.html", {"form": form, "claim": claim, "task": task}, status=status)


@login_required
@require_GET
def my_proofs(request):
    proofs = (
        Proof.objects.filter(resident=request.user)
        .select_related("task")
        .prefetch_related("photos", "decisions")
        .order_by("-submitted_at", "-pk")[:50]
    )
    waiting = (
        Claim.objects.filter(resident=request.user, status=Claim.Status.ACTIVE, expires_at__gt=timezone.now())
        .select_related("task")
        .order_by("expires_at")
    )
    return render(request, "verification/my_proofs.html", {"proofs": proofs, "waiting": waiting})


@login_required
@require_GET
def proof_detail(request, proof_id: int):
    proof = access.get_proof_for_user(request.user, proof_id)
    context = selectors.proof_context(proof=proof, viewer=request.user, now=timezone.now())
    context.update(
        appeal_form=MessageForm(),
        dispute_form=MessageForm(),
        poster_form=PosterDecisionForm(),
    )
    return render(request, "verification/proof_detail.html", context)


@login_required
@require_POST
def appeal(request, proof_id: int):
    proof = access.get_proof_for_user(request.user, proof_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write why the decision is wrong."))
        return redirect("verification:proof", proof_id=proof.pk)
    try:
        services.appeal_rejection(
            proof=proof, resident=request.user, message=form.cleaned_data["message"], now=timezone.now()
        )
    except VerificationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your appeal was sent. Another verifier will decide it."))
    return redirect("verification:proof", proof_id=proof.pk)


@login_required
@require_POST
def poster_decision(request, proof_id: int):
    proof = access.get_proof_for_user(request.user, proof_id)
    form = PosterDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to confirm or reject."))
        return redirect("verification:proof", proof_id=proof.pk)
    try:
        services.poster_decide(
            proof=proof,
            poster=request.user,
            approve=form.cleaned_data["approve"],
            reason_code=form.cleaned_data["reason_code"],
            message=form.cleaned_data["message"],
            now=timezone.now(),
        )
    except VerificationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you, your answer was saved."))
    return redirect("verification:proof", proof_id=proof.pk)


@login_required
@require_POST
def dispute(request, proof_id: int):
    proof = access.get_proof_for_user(request.user, proof_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what is wrong."))
        return redirect("verification:proof", proof_id=proof.pk)
    try:
        services.open_dispute(proof=proof, user=request.user, message=form.cleaned_data["message"], now=timezone.now())
    except VerificationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The dispute was sent to a verifier."))
    return redirect("verification:proof", proof_id=proof.pk)


@login_required
@require_GET
def photo(request, photo_id: int, size: str):
    if size not in {"display", "thumb"}:
        raise Http404
    photo = access.get_photo_for_user(request.user, photo_id)
    name = photo.display if size == "display" else photo.thumbnail
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Queue ---------------------------------------------------------------------------------------


def _department_param(request) -> int | None:
    value = request.GET.get("department") or request.POST.get("department") or ""
    return int(value) if value.isdigit() else None


def _queue_url(department_id: int | None, after: int | None = None) -> str:
    params = {}
    if department_id:
        params["department"] = department_id
    if after:
        params["after"] = after
    return reverse("verification:queue") + (f"?{urlencode(params)}" if params else "")


@login_required
@require_GET
def queue(request):
    access.require_verifier(request.user)
    now = timezone.now()
    department_id = _department_param(request)
    after = None
    after_id = request.GET.get("after", "")
    if after_id.isdigit():
        after = Proof.objects.filter(pk=int(after_id)).only("pk", "submitted_at").first()
    proof = services.open_next(verifier=request.user, department_id=department_id, now=now, after=after)
    if proof is None and after is not None:
        proof = services.open_next(verifier=request.user, department_id=department_id, now=now)
    return _render_queue(request, proof=proof, department_id=department_id, now=now)


@login_required
@require_GET
def queue_proof(request, proof_id: int):
    proof = access.get_proof_for_verifier(request.user, proof_id)
    now = timezone.now()
    if proof.status in Proof.IN_QUEUE:
        # Locked by another verifier: the page shows it as locked and offers no decision.
        with contextlib.suppress(VerificationError):
            services.open_proof(proof=proof, verifier=request.user, now=now)
    return _render_queue(request, proof=proof, department_id=_department_param(request), now=now)


def _render_queue(request, *, proof, department_id, now, form=None, status=200):
    context = selectors.queue_context(verifier=request.user, proof=proof, department_id=department_id, now=now)
    context["form"] = form or DecisionForm()
    context["reasons"] = Decision.Reason.choices
    template = "verification/_queue_panel.html" if request.htmx else "verification/queue.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def decide(request, proof_id: int):
    proof = access.get_proof_for_verifier(request.user, proof_id)
    now = timezone.now()
    department_id = _department_param(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_queue(request, proof=proof, department_id=department_id, now=now, form=form, status=400)
    action = form.cleaned_data["action"]
    if action == "skip":
        services.release_lock(proof=proof, verifier=request.user)
        return redirect(_queue_url(department_id, after=proof.pk))
    try:
        if action == "approve":
            services.approve_proof(
                proof=proof, actor=request.user, how=Decision.How.HUMAN, now=now, message=form.cleaned_data["message"]
            )
        elif action == "reject":
            services.reject_proof(
                proof=proof,
                actor=request.user,
                how=Decision.How.HUMAN,
                reason_code=form.cleaned_data["reason_code"],
                message=form.cleaned_data["message"],
                now=now,
            )
        else:
            services.request_changes(proof=proof, actor=request.user, message=form.cleaned_data["message"], now=now)
    except VerificationError as exc:
        messages.error(request, exc.message)
        return redirect(_queue_url(department_id))
    return redirect(_queue_url(department_id))
