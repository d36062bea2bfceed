"""The benchmark's hand-written feed page (bench/feed.py) is a true floor: the
same data as the GraphQL feed page, from the same number of SQL queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from bench.feed import (
    async_to_sync_ms,
    floor_feed_page,
    graphql_core_ms,
    graphql_feed_page,
    loop_cpu_ms,
    seed_feed,
)
from social.models import Role


@pytest.fixture
def viewer(db):
    return seed_feed(posts=60, users=20)


def queries_of(function) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        found = function()
    return found, len(queries)


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
@pytest.mark.parametrize("first", [1, 20])
def test_the_floor_gives_the_graphql_data_with_as_many_queries(viewer, role, first):
    """GraphQL's feed page and the floor agree on every field, and run the same
    number of SQL queries (an agent does not see deactivated authors, an
    administrator does)."""
    # given
    viewer.role = role
    viewer.save()
    type(viewer).objects.filter(username="agent3").update(is_active=False)
    # when
    data, graphql_count = queries_of(lambda: graphql_feed_page(viewer, first))
    floor, floor_count = queries_of(lambda: floor_feed_page(viewer, first))
    # then
    assert len(data["feed"]["edges"]) == first
    assert any(edge["node"]["poll"] for edge in data["feed"]["edges"]) or first == 1
    assert data == floor
    assert graphql_count == floor_count, (graphql_count, floor_count)


def test_the_breakdown_times_the_same_page(viewer):
    """The feed scenario's breakdown: graphql-core alone, over the floor's JSON
    and the schema's SDL, gives back that very JSON (graphql_core_ms asserts it
    on every call), the event loop's CPU is measured on the real page, and the
    harness's own async_to_sync is timed around an empty coroutine."""
    assert graphql_core_ms(viewer, 2) > 0
    assert loop_cpu_ms(viewer, 2) > 0
    assert async_to_sync_ms(2) > 0


def test_the_bench_views_do_not_exist_in_a_normal_run(client, settings):
    """The floors' URLs are mounted only by PARVIS_BENCH_VIEWS=1 (make bench)."""
    assert settings.BENCH_VIEWS is False
    with pytest.raises(Resolver404):
        resolve("/bench/feed/")
    assert client.get("/bench/feed/").status_code == 404
    from project.asgi import websocket_urlpatterns

    assert [str(pattern.pattern) for pattern in websocket_urlpatterns] == ["graphql/"]
