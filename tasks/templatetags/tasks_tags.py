"""Plain-language presentation of tasks: proof requirements, time left on a claim."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def requirement_lines(task) -> list[str]:
    """What the resident must do to get paid, as short sentences."""
    lines = []
    if task.photo_count:
        lines.append(
            ngettext(
                "Take %(count)s photo of the finished work.", "Take %(count)s photos of the work.", task.photo_count
            )
            % {"count": task.photo_count}
        )
    else:
        lines.append(_("No photo is needed: the poster confirms the work."))
    if task.before_after:
        lines.append(_("One photo before you start and one after you finish, of the same spot."))
    if task.taken_after_claim and task.photo_count:
        lines.append(_("Take the photos after you have claimed the task, not before."))
    if task.max_distance_m and task.has_place:
        lines.append(
            _("Take the photos within %(metres)s metres of the place, with location on in your camera.")
            % {"metres": task.max_distance_m}
        )
    hours = task.claim_window_hours
    lines.append(
        ngettext(
            "You have %(hours)s hour after claiming to send the proof.",
            "You have %(hours)s hours after claiming to send the proof.",
            hours,
        )
        % {"hours": hours}
    )
    return lines


@register.simple_tag
def time_left(until, now) -> str:
    """ "2 h 15 min" until the moment, or "expired"."""
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return _("expired")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": max(minutes, 1)}


@register.filter
def km(value) -> str:
    if value is None:
        return ""
    if value < 1:
        return _("%(metres)s m") % {"metres": int(round(value * 1000, -1))}
    return _("%(km)s km") % {"km": number_format(value, 1)}
