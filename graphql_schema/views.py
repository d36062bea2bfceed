"""The HTTP GraphQL endpoint, with a GraphiQL that works without internet access."""

import re
from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from strawberry.django.views import AsyncGraphQLView
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types.execution import PreExecutionError

from graphql_schema.context import Context, bearer_secret
from graphql_schema.schema import schema
from project.middleware import new_request_id
from social.actions.auth import token_authenticate

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
    html = (
        get_graphql_ide_html("graphiql")
        .replace("<title>Strawberry GraphiQL</title>", "<title>Parvis GraphiQL</title>")
        .replace(_FETCHER_HEADERS, _FRESH_CSRF_FETCH)
    )
    assets = graphiql_assets()
    if not all(finders.find(local) for _, local in assets):
        return html, False
    for cdn_url, local in assets:
        html = html.replace(cdn_url, static(local))
    return html, True


# Strawberry's page reads the CSRF cookie once, at load; signing in (`login`)
# rotates it, so GraphiQL reads it again for every request.
_FETCHER_HEADERS = "        headers: defaultHeaders,\n"
_FRESH_CSRF_FETCH = (
    _FETCHER_HEADERS
    + "        fetch: (url, init) => fetch(url, {...init, headers: {...init.headers,"
    + ' "x-csrftoken": Cookies.get("csrftoken") || ""}}),\n'
)


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def csrf_refusal(request: HttpRequest) -> JsonResponse | None:
    """Check CSRF on requests that carry a session cookie; None when they pass.

    CSRF abuses a browser's ambient cookie: a request without the session cookie
    (a phone app with a bearer token, a script, a sign-in) carries none to abuse,
    so it is not asked for a token it could not have.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    check = _CsrfCheck(lambda _request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason is None:
        return None
    message = (
        f"CSRF check failed ({reason}). A browser session must send the csrftoken "
        "cookie's value in the X-CSRFToken header."
    )
    return JsonResponse(
        {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}],
        },
        status=403,
    )


BAD_TOKEN_MESSAGE = "The bearer token is invalid or revoked; sign in again."  # noqa: S105


def bad_token_response(request: HttpRequest) -> JsonResponse:
    """401 for a bearer token that is unknown, revoked or of a deactivated user.

    The request is refused before any resolver runs, with a GraphQL-shaped body
    and the RFC 6750 challenge, so that a phone knows to sign in again.
    """
    response = JsonResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": BAD_TOKEN_MESSAGE,
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
        },
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if GRAPHQL_RESPONSE_JSON in request.headers.get("Accept", ""):
        response["Content-Type"] = GRAPHQL_RESPONSE_JSON
    return response


class GraphQLView(AsyncGraphQLView):
    """`/graphql/`: queries over GET and POST, mutations over POST, GraphiQL.

    A client that accepts `application/graphql-response+json` gets that media type
    and, as the GraphQL-over-HTTP spec says, a 400 when the document could not run.
    """

    async def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        secret = bearer_secret(request.headers.get("Authorization"))
        if secret is not None:
            # A bearer request is authenticated by its token alone, never by a
            # cookie that may ride along; no page can add the header cross-site
            # without a CORS preflight, so it needs no CSRF check.
            request.access_token = await sync_to_async(token_authenticate)(
                secret=secret
            )
            if request.access_token is None:
                return bad_token_response(request)
        else:
            refused = csrf_refusal(request)
            if refused is not None:
                return refused
        response = await super().dispatch(request, *args, **kwargs)
        if (
            GRAPHQL_RESPONSE_JSON in request.headers.get("Accept", "")
            and response.get("Content-Type") == "application/json"
        ):
            response["Content-Type"] = GRAPHQL_RESPONSE_JSON
            if getattr(request, "graphql_not_run", False):
                response.status_code = 400
        return response

    async def process_result(self, request: HttpRequest, result) -> dict:
        request.graphql_not_run = isinstance(result, PreExecutionError)
        return await super().process_result(request, result)

    async def get_context(
        self, request: HttpRequest, response: HttpResponse
    ) -> Context:
        token = getattr(request, "access_token", None)
        return Context(
            request=request,
            response=response,
            viewer=token.user if token is not None else await request.auser(),
            request_id=getattr(request, "id", "") or new_request_id(),
            token=token,
        )

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        html, local = graphiql_html()
        response = HttpResponse(html)
        response["X-GraphiQL-Assets"] = "local" if local else "cdn"
        return response


# CSRF is checked by the view itself (csrf_refusal); GraphiQL sends the CSRF cookie
# back as a header, so the page sets it.
graphql_view = csrf_exempt(
    ensure_csrf_cookie(
        GraphQLView.as_view(
            schema=schema,
            graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
        )
    )
)
