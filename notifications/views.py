from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from notifications import services
from notifications.access import get_notification_for_user
from notifications.models import Notification

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request):
    notices = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def mark_read(request, notification_id: int):
    notification = get_notification_for_user(request.user, notification_id)
    services.mark_read(user=request.user, notification=notification)
    if request.htmx:
        notification.is_read = True
        return render(request, "notifications/_notice.html", {"notification": notification})
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    changed = services.mark_all_read(user=request.user)
    if changed:
        messages.success(
            request,
            ngettext("%(count)d notice marked as read.", "%(count)d notices marked as read.", changed)
            % {"count": changed},
        )
    else:
        messages.info(request, _("You had no unread notices."))
    return redirect("notifications:list")


@require_GET
def live_status(request):
    """The header's unread count and balance, for the 30-second poll that stands in for the websocket."""
    if not request.user.is_authenticated:
        # A poll from a page whose session ended: leave the header as it is.
        return HttpResponse(status=204)
    return render(request, "notifications/_live_status.html")
