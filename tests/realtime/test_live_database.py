"""A socket's own thread and its database connection (graphql_schema/live/
connection.py): a connection opened in the socket's context is noted, and only
then does the release after an event go to that thread to close it."""

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import connection

from graphql_schema.live.connection import LiveConnection
from social.models import User

pytestmark = pytest.mark.django_db(transaction=True)


# `connection` is the calling thread's: read it in the socket's thread.
def _holds_a_connection() -> bool:
    return connection.connection is not None


def _close() -> None:
    connection.close()


async def test_a_connection_opened_in_the_sockets_thread_is_noted_and_let_go():
    live = LiveConnection(consumer=None)
    async with ThreadSensitiveContext():
        with live.current():
            await sync_to_async(len)("no query")
            assert not live.may_hold_database
            assert await sync_to_async(User.objects.count)() == 0
            assert live.may_hold_database
            assert await sync_to_async(_holds_a_connection)()
            # when
            await live.release_database()
            # then
            assert not await sync_to_async(_holds_a_connection)()
            assert not live.may_hold_database
            # and a query of the next event opens one again, noted again
            await sync_to_async(User.objects.count)()
            assert live.may_hold_database
            await live.release_database()
            assert not await sync_to_async(_holds_a_connection)()


async def test_a_connection_opened_outside_the_socket_is_not_its_own():
    live = LiveConnection(consumer=None)
    async with ThreadSensitiveContext():
        await sync_to_async(User.objects.count)()
        try:
            assert not live.may_hold_database
        finally:
            await sync_to_async(_close)()


async def test_a_persistent_connection_stays_noted():
    """A connection kept open (CONN_MAX_AGE set) outlives the release: it stays
    noted, so that the next release checks it again (its age, its errors)."""
    live = LiveConnection(consumer=None)
    async with ThreadSensitiveContext():
        with live.current():
            await sync_to_async(User.objects.count)()
            await sync_to_async(_kept_open)()
            try:
                await live.release_database()
                assert await sync_to_async(_holds_a_connection)()
                assert live.may_hold_database
            finally:
                await sync_to_async(_close)()


def _kept_open() -> None:
    """What CONN_MAX_AGE=None gives a connection: no time to close it."""
    connection.close_at = None
