"""WSGI entry point: ordinary pages run on WSGI workers (gunicorn) in production."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eraha.settings")
application = get_wsgi_application()
