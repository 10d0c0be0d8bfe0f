"""ASGI entry point: `uvicorn fluxweb.asgi:application` (SSE needs ASGI; WSGI buffers streams)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fluxweb.settings")

application = get_asgi_application()
