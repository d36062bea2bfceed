"""URLs: the GraphQL endpoint (and GraphiQL), the admin and the health check."""

from django.conf import settings
from django.contrib import admin
from django.urls import path

from graphql_schema.views import graphql_view
from project.health import healthz

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.BENCH_VIEWS:  # the benchmark's floors (bench/views.py), never otherwise
    from bench.views import urlpatterns as bench_urlpatterns

    urlpatterns += bench_urlpatterns
