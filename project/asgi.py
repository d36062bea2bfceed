"""ASGI entry point: Django for HTTP, Channels for the GraphQL WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from graphql_schema.consumers import graphql_ws_application  # noqa: E402

websocket_urlpatterns = [path("graphql/", graphql_ws_application)]
if settings.BENCH_VIEWS:  # the benchmark's floor (bench/views.py), never otherwise
    from bench.views import websocket_urlpatterns as bench_websocket_urlpatterns

    websocket_urlpatterns += bench_websocket_urlpatterns

application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": URLRouter(websocket_urlpatterns)}
)
