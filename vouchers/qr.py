"""The voucher's QR code as inline SVG. The payload is the bare code, so a scan types exactly what a person would."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from django.utils.html import escape

_SIZE = re.compile(r'^<svg width="[^"]*" height="[^"]*"')


def qr_payload(code: str) -> str:
    return code


def qr_svg(code: str, *, label: str = "") -> str:
    """An SVG that scales to its box, black on a white quiet zone (readable in dark mode too)."""
    image = qrcode.make(
        qr_payload(code),
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    svg = image.to_string(encoding="unicode")
    svg = _SIZE.sub(f'<svg class="qr" role="img" aria-label="{escape(label)}"', svg, count=1)
    return svg.replace(">", '><rect width="100%" height="100%" fill="#fff"/>', 1)
