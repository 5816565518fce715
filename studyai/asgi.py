"""ASGI entry point for daphne: HTTP goes to Django, WebSockets through origin validation and
token/session authentication to the notification consumer."""
from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyai.settings")
django_asgi_app = get_asgi_application()  # sets Django up before anything imports models

from studyai.safety import refuse_insecure_start  # noqa: E402

refuse_insecure_start()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.auth import websocket_stack  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
