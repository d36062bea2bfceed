"""URLs: the GraphQL endpoint (and GraphiQL), the admin and the health check."""

from django.contrib import admin
from django.urls import path

from graphql_schema.views import graphql_view
from project.health import healthz

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
