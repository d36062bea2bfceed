"""Subscriptions about the server itself."""

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator

import strawberry
from django.utils import timezone

from graphql_schema.errors import BadUserInput

MAX_TICKS = 3600


@strawberry.type
class SystemSubscriptions:
    @strawberry.subscription(
        description=(
            "The server's clock, now and then every `intervalSeconds` (1 to 3600), "
            "`count` times (1 to 3600): lets a client measure its clock skew and "
            "check that live updates reach it."
        )
    )
    async def server_time(
        self, interval_seconds: int = 30, count: int = 1
    ) -> AsyncGenerator[dt.datetime, None]:
        if not 1 <= interval_seconds <= MAX_TICKS or not 1 <= count <= MAX_TICKS:
            raise BadUserInput("intervalSeconds and count must be between 1 and 3600.")
        for tick in range(count):
            if tick:
                await asyncio.sleep(interval_seconds)
            yield timezone.now()
