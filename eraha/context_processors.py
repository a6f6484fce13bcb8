from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from people import roles

# (url name, label, who sees it). Entries whose URL is not installed yet are left out.
NAVIGATION = [
    ("tasks:list", _("Tasks"), lambda user: True),
    ("wallet:home", _("Wallet"), lambda user: user.is_authenticated),
    ("vouchers:list", _("Vouchers"), lambda user: user.is_authenticated),
    ("verification:queue", _("Queue"), roles.is_verifier),
    ("tasks:publisher_home", _("Publish"), roles.is_publisher),
    ("tasks:moderation", _("Moderation"), lambda user: roles.is_verifier(user) or roles.is_city_admin(user)),
    ("vouchers:redeem", _("Redeem"), roles.is_cashier),
    ("reports:dashboard", _("Dashboard"), lambda user: roles.is_city_admin(user) or roles.is_publisher(user)),
    ("admin:index", _("Administration"), roles.is_city_admin),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    items = []
    path = request.path
    for url_name, label, visible in NAVIGATION:
        if not visible(user):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "current": False})
    # Only the most specific matching item is current (/tasks/publish/ is Publish, not Tasks).
    matching = [item for item in items if item["url"] != "/" and path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return {"nav_items": items}
