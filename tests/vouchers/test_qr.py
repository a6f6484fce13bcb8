from __future__ import annotations

import io
import re

import pytest

from vouchers import codes
from vouchers.qr import qr_svg


def _rasterize(svg: str, scale: int = 8):
    """Draws the SVG's unit squares (qrcode's SvgPathImage writes only M x,y H V H z squares) onto a bitmap."""
    from PIL import Image, ImageDraw

    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", path)
    assert len(squares) == path.count("M")  # every module was understood
    for x, y, x2, y2 in squares:
        draw.rectangle(
            [int(x) * scale, int(y) * scale, int(x2) * scale - 1, int(y2) * scale - 1],
            fill=0,
        )
    return image


def test_the_qr_payload_decodes_back_to_the_code():
    zxingcpp = pytest.importorskip("zxingcpp")
    code = codes.generate_code()
    image = _rasterize(qr_svg(code, label="x"))
    results = zxingcpp.read_barcodes(image)
    assert [result.text for result in results] == [code]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_the_svg_scales_to_its_box_and_has_an_accessible_name():
    svg = qr_svg("ABCDE23456", label="QR <code>")
    assert svg.startswith('<svg class="qr" role="img" aria-label="QR &lt;code&gt;"')
    assert "width=" not in svg.split(">", 1)[0]
    assert '<rect width="100%" height="100%" fill="#fff"/>' in svg
    assert io.StringIO(svg).read().count("<svg") == 1
