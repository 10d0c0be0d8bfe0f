"""WSGI entry point, for tools that want one; the live gallery needs the ASGI app."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fluxweb.settings")

application = get_wsgi_application()
