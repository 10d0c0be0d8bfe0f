"""ASGI entry point: `uvicorn fluxweb.asgi:application` (SSE needs ASGI; WSGI buffers streams).

Django's ``get_asgi_application()`` with fluxweb's handler, which runs the middleware chain
in one thread hop per request on a kept thread (:class:`fluxweb.core.asgi.SyncChainASGIHandler`).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fluxweb.settings")
django.setup(set_prefix=False)

from fluxweb.core.asgi import SyncChainASGIHandler  # noqa: E402 (apps load first)

application = SyncChainASGIHandler()
