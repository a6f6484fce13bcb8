from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from wallet.money import format_eraha, format_euros

register = template.Library()


@register.filter
def report_cell(value, kind: str):
    """One dashboard table cell in the reader's locale: eRaha and euros as money, counts grouped."""
    if value is None or value == "":
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        if kind == "eraha":
            return format_eraha(value)
        if kind == "euros":
            return format_euros(value)
        return intcomma(value)
    return value


@register.filter
def numeric(kind: str) -> bool:
    return kind in ("int", "eraha", "euros", "seconds", "percent")
