"""The HTTP GraphQL endpoint, with a GraphiQL that works without internet access."""

import re
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.views.decorators.csrf import ensure_csrf_cookie
from strawberry.django.views import AsyncGraphQLView
from strawberry.http.ides import get_graphql_ide_html

from graphql_schema.context import Context
from graphql_schema.schema import schema

# GraphiQL's scripts and styles, referenced by Strawberry's page on unpkg.com.
_UNPKG_ASSET = re.compile(
    r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@[\w.-]+/([\w./-]+)"
)
VENDOR_PREFIX = "graphiql"


def graphiql_assets() -> list[tuple[str, str]]:
    """The (CDN URL, local static path) of every asset of the GraphiQL page."""
    return [
        (match.group(0), f"{VENDOR_PREFIX}/{match.group(1)}/{match.group(2)}")
        for match in _UNPKG_ASSET.finditer(get_graphql_ide_html("graphiql"))
    ]


@cache
def graphiql_html() -> tuple[str, bool]:
    """GraphiQL with local assets when `make vendor` installed them, else the CDN."""
    html = get_graphql_ide_html("graphiql").replace(
        "<title>Strawberry GraphiQL</title>", "<title>Parvis GraphiQL</title>"
    )
    assets = graphiql_assets()
    if not all(finders.find(local) for _, local in assets):
        return html, False
    for cdn_url, local in assets:
        html = html.replace(cdn_url, static(local))
    return html, True


class GraphQLView(AsyncGraphQLView):
    """`/graphql/`: queries over GET and POST, mutations over POST, GraphiQL."""

    async def get_context(
        self, request: HttpRequest, response: HttpResponse
    ) -> Context:
        return Context(
            request=request,
            response=response,
            viewer=await request.auser(),
            request_id=getattr(request, "id", "") or Context(request=None).request_id,
        )

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        html, local = graphiql_html()
        response = HttpResponse(html)
        response["X-GraphiQL-Assets"] = "local" if local else "cdn"
        return response


# GraphiQL sends the CSRF cookie back as a header; make sure the page sets it.
graphql_view = ensure_csrf_cookie(
    GraphQLView.as_view(
        schema=schema,
        graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
        multipart_uploads_enabled=True,
    )
)
