"""Page batches: what the rows of a page show, fetched with the page.

A list field resolved through a dataloader costs, for each row, a coroutine, a
future and a task, and each loader a thread hop of its own. For a page that is
read once per operation (a connection that is not inside a list), its
`Connection` instead runs, in one thread hop right after the page's query, the
same fetches (`BatchLoader.values`, the very functions the loaders call) for
the fields the client selected on its nodes, and recursively on what they
return (a post's poll, the poll's options). The values are attached to the rows
of this operation (`loaders.BATCHED`), and the fields read them with
`BatchLoader.get`, synchronously; a row that was not batched (a mutation's
payload, a node, a list inside a list) goes through the loader as before. Same
queries, same SQL count, far less per-field work (docs/PERFORMANCE.md).

The fields that can be batched are declared by the types modules with
`batched(Model, graphqlName=PageBatch(...))`.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from graphql_schema.posts.loaders import BATCHED, BatchLoader

if TYPE_CHECKING:
    from graphql_schema.context import Context


@dataclass(frozen=True)
class PageBatch:
    """How a field of a row is batched: the loader, and the row's key for it
    (None: nothing to fetch for that row). `attach(row, value)`, if given,
    shapes the value before it is kept (as the field itself would)."""

    loader: Callable[["Context"], BatchLoader]
    key: Callable[[Any, dict[str, Any]], Hashable | None]
    attach: Callable[[Any, Any], Any] | None = None


_BATCHES: dict[type[Model], dict[str, PageBatch]] = {}


def on_the_loop(resolver: Callable) -> Callable:
    """Mark a sync resolver that runs no query (it reads a batched value or
    returns a loader's awaitable): strawberry-django then calls it on the event
    loop instead of sending it to a thread (its `is_async_safe` attribute)."""
    resolver.is_async_safe = True  # type: ignore[attr-defined]
    return resolver


def batched(model: type[Model], **fields: PageBatch) -> None:
    """Declare the batched fields of a model's type, by GraphQL name."""
    _BATCHES.setdefault(model, {}).update(fields)


def _included(selection: Any) -> bool:
    directives = selection.directives or {}
    if directives.get("skip", {}).get("if") is True:
        return False
    return directives.get("include", {}).get("if", True) is not False


def _fields(selections: Iterable[Any]) -> Iterable[SelectedField]:
    """The fields of a selection set, through fragments (by any type
    condition: a needless batch costs a query, never a wrong answer)."""
    for selection in selections:
        if not _included(selection):
            continue
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            yield from _fields(selection.selections)


def node_selections(connection_fields: Iterable[SelectedField]) -> list[Any]:
    """The selections on `edges { node { … } }` of a connection field."""
    found: list[Any] = []
    for connection in connection_fields:
        for edges in _fields(connection.selections):
            if edges.name != "edges":
                continue
            for node in _fields(edges.selections):
                if node.name == "node":
                    found.extend(node.selections)
    return found


def in_a_list(path: Any) -> bool:
    """Whether a field's path goes through a list (it then resolves once per
    item, and its items' loaders must batch across items: no page batch)."""
    while path is not None:
        if isinstance(path.key, int):
            return True
        path = path.prev
    return False


def run(rows: list[Any], selections: list[Any], context: "Context") -> None:
    """Fetch, for `rows` (model instances of one operation), the batched fields
    of `selections`, attach the values to each row, and go on with the values
    that are rows themselves. Synchronous: call it in the thread of the page's
    query."""
    if not rows:
        return
    by_model: dict[type[Model], list[Any]] = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row)
    for model, same in by_model.items():
        declared = _BATCHES.get(model)
        if declared:
            _run_model(same, declared, selections, context)


def _run_model(
    rows: list[Any],
    declared: dict[str, PageBatch],
    selections: list[Any],
    context: "Context",
) -> None:
    wanted: dict[tuple[BatchLoader, Hashable], list[Any]] = {}
    fields: list[tuple[SelectedField, PageBatch, BatchLoader]] = []
    for field in _fields(selections):
        batch = declared.get(field.name)
        if batch is None:
            continue
        loader = batch.loader(context)
        fields.append((field, batch, loader))
        for row in rows:
            key = batch.key(row, field.arguments)
            if key is not None:
                wanted.setdefault((loader, key), []).append(row)
    keys_by_loader: dict[BatchLoader, list[Hashable]] = defaultdict(list)
    for loader, key in wanted:
        keys_by_loader[loader].append(key)
    values: dict[tuple[BatchLoader, Hashable], Any] = {}
    for loader, keys in keys_by_loader.items():
        values.update(
            zip(((loader, key) for key in keys), loader.values(keys), strict=True)
        )
    for field, batch, loader in fields:
        nested: list[Any] = []
        for row in rows:
            key = batch.key(row, field.arguments)
            if key is None:
                continue
            value = values[loader, key]
            if batch.attach is not None:
                value = batch.attach(row, value)
            row.__dict__.setdefault(BATCHED, {})[loader, key] = value
            if field.selections:
                nested.extend(value if isinstance(value, list) else [value])
        rows_below = [value for value in nested if isinstance(value, Model)]
        if rows_below:
            run(rows_below, field.selections, context)
