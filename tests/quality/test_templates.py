"""The Content-Security-Policy forbids inline scripts and styles; no template may need them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
EXTERNAL = re.compile(r"""(?:src|href)=["']https?://(?!tile\.openstreetmap\.org|www\.openstreetmap\.org)""")


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_a_template_has_no_inline_script_handler_style_or_cdn(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script> (CSP forbids it): move it to static/js/"
    assert not EVENT_HANDLER.search(text), "inline event handler (CSP forbids it)"
    assert not STYLE_ATTRIBUTE.search(text), "inline style attribute (CSP forbids it): use a class"
    assert not EXTERNAL.search(text), "external script or style: serve it from static/ (closed network)"


def test_the_policy_allows_no_inline_script(settings):
    script_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src


@pytest.mark.django_db
def test_pages_are_sent_with_the_policy(client):
    header = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in header
    assert "frame-ancestors 'none'" in header
