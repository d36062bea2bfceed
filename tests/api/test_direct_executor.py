"""The executor's direct leaves (graphql_schema/direct.py, DirectExecutor): a leaf
read off its row answers exactly what graphql-core's own path answers, errors
included, on a small schema made for the cases the app's data cannot show (a
null in a non-null field, a value its scalar refuses, an attribute that
raises)."""

from enum import Enum
from typing import NewType

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig

from graphql_schema.direct import DirectExecutor


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


# A scalar whose serialisation gives nothing: graphql-core reports it.
Hollow = NewType("Hollow", object)
HOLLOW = strawberry.scalar(
    name="Hollow", serialize=lambda value: None, parse_value=lambda value: value
)


@strawberry.type
class Thing:
    name: str
    nickname: str | None
    count: int
    colour: Colour
    extra: JSON | None  # serialises anything, an exception too
    hollow: Hollow | None


class Row:
    """What a resolver may hand the executor: any object with the attributes."""

    def __init__(self, **values):
        self.__dict__.update(values)


class Broken:
    nickname = None
    count = 1
    colour = Colour.RED
    extra = None
    hollow = None

    @property
    def name(self):
        raise ValueError("this row cannot tell its name")


ROWS = [
    Row(
        name="fine",
        nickname=None,
        count=3,
        colour=Colour.BLUE,
        extra={"a": 1},
        hollow=None,
    ),
    Row(
        name=None,
        nickname="no name",
        count=1,
        colour=Colour.RED,
        extra=None,
        hollow=None,
    ),
    Row(
        name="bad count",
        nickname=7,
        count="many",
        colour=Colour.RED,
        extra=None,
        hollow=None,
    ),
    Row(
        name="bad colour", nickname="", count=0, colour="GREEN", extra=None, hollow=None
    ),
    Row(
        name="an error as a value",
        nickname=ValueError("stored"),
        count=2,
        colour=Colour.RED,
        extra=ValueError("kept"),
        hollow="something",
    ),
    Broken(),
]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return ROWS  # type: ignore[return-value]


THINGS = "{ things { name nickname count colour extra hollow renamed: name } }"


def answers(executor=None, extensions=()):
    schema = strawberry.Schema(
        query=Query,
        execution_context_class=executor,
        extensions=list(extensions),
        config=StrawberryConfig(scalar_map={Hollow: HOLLOW}),
    )
    result = schema.execute_sync(THINGS)
    errors = sorted((error.message, tuple(error.path)) for error in result.errors)
    return result.data, errors


def test_direct_leaves_answer_and_fail_as_graphql_cores_own_path():
    data, errors = answers(DirectExecutor)
    assert (data, errors) == answers()
    # The cases are really there: each row but the first has an error.
    assert data["things"][0] == {
        "name": "fine",
        "nickname": None,
        "count": 3,
        "colour": "BLUE",
        "extra": {"a": 1},
        "hollow": None,
        "renamed": "fine",
    }
    # A non-null leaf that fails takes its row; a nullable one only itself.
    assert data["things"][1:4] == [None, None, None]
    assert data["things"][4]["nickname"] is None
    assert data["things"][4]["extra"] is None
    assert data["things"][4]["hollow"] is None
    assert data["things"][4]["count"] == 2
    assert data["things"][5] is None
    assert {path[1] for _, path in errors} == {1, 2, 3, 4, 5}
    messages = " ".join(message for message, _ in errors)
    assert "Cannot return null for non-nullable field Thing.name." in messages
    assert "this row cannot tell its name" in messages
    assert "stored" in messages
    assert "kept" in messages
    assert {path[2] for _, path in errors if path[1] == 4} == {
        "nickname",
        "extra",
        "hollow",
    }


class CountingResolves(SchemaExtension):
    resolved: list[str] = []

    def resolve(self, _next, root, info, *args, **kwargs):
        self.resolved.append(info.field_name)
        return _next(root, info, *args, **kwargs)


async def test_an_awaitable_leaf_is_awaited_as_graphql_core_does():
    """A basic field holding an awaitable (a coroutine kept on the object) is
    left to graphql-core, which awaits it; a scalar that serialises anything
    would otherwise hand the coroutine itself to the client."""

    async def later():
        return {"ready": True}

    @strawberry.type
    class Slow:
        value: JSON

    @strawberry.type
    class SlowQuery:
        @strawberry.field
        def slow(self) -> Slow:
            return Row(value=later())  # type: ignore[return-value]

    results = []
    for executor in (DirectExecutor, None):
        schema = strawberry.Schema(query=SlowQuery, execution_context_class=executor)
        results.append(await schema.execute("{ slow { value } }"))
    direct, own = results
    assert direct.errors is None
    assert direct.data == own.data == {"slow": {"value": {"ready": True}}}


def test_a_resolve_hook_still_sees_every_field():
    """An extension's `resolve` (graphql-core middleware) wraps every field:
    with one, no leaf is read directly."""
    CountingResolves.resolved = []
    answers(DirectExecutor, [CountingResolves])
    direct = CountingResolves.resolved
    CountingResolves.resolved = []
    answers(None, [CountingResolves])
    assert sorted(direct) == sorted(CountingResolves.resolved)
    assert {"name", "nickname", "count", "colour"} <= set(direct)
