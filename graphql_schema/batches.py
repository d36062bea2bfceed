"""Page batches: what the rows of a page show, fetched with the page.

A list field resolved through a dataloader costs, for each row, a coroutine, a
future and a task, and each loader a thread hop of its own. For a page that is
read once per operation (a connection that is not inside a list), its
`Connection` instead runs, in the thread hop that reads the page, the same
fetches (`BatchLoader.values`, the very functions the loaders call) for the
fields the client selected on its nodes, and recursively on what they return (a
post's poll, the poll's options). The values are attached to the rows of this
operation (`BATCHED`), and the fields read them with `BatchLoader.get`,
synchronously; a row that was not batched (a mutation's payload, a node, a list
inside a list) goes through the loader as before. Same queries, same SQL count,
far less per-field work (docs/PERFORMANCE.md, "Page batches").

The fields that can be batched are declared by the types modules with
`batched(Model, graphqlName=PageBatch(...))`. A declared key function must give
the key its field's resolver asks `BatchLoader.get` for: if the two differ, the
answer stays right (the field falls back to its loader) but the batch is lost.
"""

import inspect
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Model, QuerySet
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.dataloader import DataLoader
from strawberry.types.nodes import (
    FragmentSpread,
    InlineFragment,
    SelectedField,
    get_variable_values,
)
from strawberry_django.queryset import get_queryset_config
from strawberry_django.relay.cursor_connection import apply_cursor_pagination

if TYPE_CHECKING:
    from graphql_schema.context import Context

_log = logging.getLogger(__name__)

# On a row of a page: its batched values, by (loader, key); see BatchLoader.get.
BATCHED = "_parvis_batched"
_MISSING = object()


class BatchLoader(DataLoader):
    """A loader whose values are `fetch(keys)[key]`, or `default()` if absent.

    `values(keys)` is the same fetch run synchronously: a page batch calls it
    with the page, in the thread that reads the page, and `get` then answers
    from what it attached to the rows.

    With `narrow`, the fetch reads what some fields of its rows need only when
    they are selected (a group's member count): a page batch, which knows the
    selections below its field, calls `fetch(keys, narrow(selections))`; a
    load, which does not, calls `fetch(keys)`, which must then read it all.
    """

    def __init__(
        self,
        fetch: Callable[..., dict[Hashable, Any]],
        default: Callable[[], Any] = lambda: None,
        narrow: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        self.fetch = fetch
        self.default = default
        self.narrow = narrow
        super().__init__(load_fn=self._load, cache=False)

    def values(self, keys: list[Any], selections: list[Any] | None = None) -> list[Any]:
        if self.narrow is not None and selections is not None:
            found = self.fetch(keys, self.narrow(selections))
        else:
            found = self.fetch(keys)
        return [found[key] if key in found else self.default() for key in keys]

    async def _load(self, keys: list[Any]) -> list[Any]:
        return await sync_to_async(self.values)(keys)

    def get(self, row: Any, key: Hashable) -> Any:
        """The value of `key`: the one batched with `row`'s page if there is one
        (no await, no thread hop), otherwise the awaitable of `load(key)`."""
        batched = row.__dict__.get(BATCHED)
        if batched is not None:
            found = batched.get((self, key), _MISSING)
            if found is not _MISSING:
                return found
        return self._later(key)

    async def _later(self, key: Hashable) -> Any:
        # Loaded when graphql-core runs it, as an async resolver's load would
        # be. A coroutine, not load()'s future, which graphql-core would iterate
        # for a list field.
        return await self.load(key)


def kept_loaders(
    context: "Context", name: str, make: Callable[["Context"], Any]
) -> Any:
    """A module's loaders for the request or socket: `make(context)`, made on
    first use and kept beside its `loaders` as `name`."""
    loaders = context.loaders
    found = getattr(loaders, name, None)
    if found is None:
        found = make(context)
        setattr(loaders, name, found)
    return found


def then(result: Any, function: Callable[[Any], Any]) -> Any:
    """`function(result)`, awaiting `result` first if it is awaitable: for the
    fields that read `BatchLoader.get` and shape its value."""
    if inspect.isawaitable(result):

        async def later() -> Any:
            return function(await result)

        return later()
    return function(result)


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


def selected_names(selections: Iterable[Any]) -> set[str]:
    """The names of the fields of a selection set, through fragments: what a
    loader's `narrow` reads."""
    return {field.name for field in _fields(selections)}


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
    # Each (field, key) once, however many aliases and fragments select it,
    # with the selections below its occurrences merged.
    plans: dict[tuple[PageBatch, BatchLoader], dict[Hashable, list[Any]]] = {}
    below: dict[tuple[PageBatch, BatchLoader], list[Any]] = defaultdict(list)
    for field in _fields(selections):
        batch = declared.get(field.name)
        if batch is None:
            continue
        loader = batch.loader(context)
        plan = plans.setdefault((batch, loader), {})
        below[batch, loader].extend(field.selections)
        for row in rows:
            key = batch.key(row, field.arguments)
            if key is not None:
                keyed = plan.setdefault(key, [])
                if not any(row is seen for seen in keyed):
                    keyed.append(row)
    keys_by_loader: dict[BatchLoader, dict[Hashable, None]] = defaultdict(dict)
    selected_by_loader: dict[BatchLoader, list[Any]] = defaultdict(list)
    for (batch, loader), plan in plans.items():
        if plan:  # no row has a key (a comment's author joined already): no fetch
            keys_by_loader[loader].update(dict.fromkeys(plan))
            selected_by_loader[loader].extend(below[batch, loader])
    values: dict[tuple[BatchLoader, Hashable], Any] = {}
    for loader, keys in keys_by_loader.items():
        try:
            found = loader.values(list(keys), selected_by_loader[loader])
        except Exception:
            # Its fields go to the loader, which fails for each field alone, as
            # without a batch: one error does not take the whole page down.
            _log.debug("page batch of %s failed", loader.fetch, exc_info=True)
            continue
        values.update(zip(((loader, key) for key in keys), found, strict=True))
    for (batch, loader), plan in plans.items():
        rows_below: dict[int, Model] = {}
        for key, keyed in plan.items():
            if (loader, key) not in values:
                continue
            for row in keyed:
                value = values[loader, key]
                if batch.attach is not None:
                    value = batch.attach(row, value)
                value = row.__dict__.setdefault(BATCHED, {}).setdefault(
                    (loader, key), value
                )
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, Model):
                        rows_below[id(item)] = item
        if rows_below and below[batch, loader]:
            run(list(rows_below.values()), below[batch, loader], context)


# --- A connection inside a list -----------------------------------------------------


class _Pages(DataLoader):
    """The pages of one connection field under a list (`groups { posts }`), one
    per parent, read in one query: the parents' rows numbered by a window
    function partitioned by `fk`, as strawberry-django's optimizer pages the
    connections it prefetches. Each parent gets its rows as a queryset already
    evaluated, which the connection pages without another query."""

    def __init__(
        self,
        info: Any,
        fk: str,
        rows_of: Callable[[list], QuerySet],
        first: int | None,
        last: int | None,
    ) -> None:
        self.info, self.fk, self.rows_of = info, fk, rows_of
        if first is None and last is None:
            first = settings.GRAPHQL_PAGE_SIZE_DEFAULT
        self.first, self.last = first, last
        super().__init__(load_fn=self._load, cache=False)

    async def _load(self, pks: list) -> list[QuerySet | None]:
        _forget(self)
        return await sync_to_async(self._fetch)(pks)

    def _fetch(self, pks: list) -> list[QuerySet | None]:
        info = self.info
        try:
            # The field's own queryset hook (the type's get_queryset, then the
            # optimizer), over every parent at once.
            rows = info._field.get_queryset(self.rows_of(pks), info)
            rows, ordering = apply_cursor_pagination(
                rows,
                related_field_id=self.fk,
                info=info,
                first=self.first,
                last=self.last,
                after=None,
                before=None,
                max_results=None,
            )
            found = list(rows)
        except Exception:
            # A page too large, say: each parent reads its own page and fails
            # with its own error, as without this batch.
            _log.debug("pages of %s failed", info.path, exc_info=True)
            return [None] * len(pks)
        by_parent: dict[Any, list[Model]] = defaultdict(list)
        for row in found:
            by_parent[getattr(row, self.fk)].append(row)
        pages = []
        for pk in pks:
            page = rows.filter(**{self.fk: pk})  # what its totalCount would count
            page._result_cache = by_parent.get(pk, [])
            page._prefetch_done = True
            config = get_queryset_config(page)
            config.optimized_by_prefetching = True
            config.ordering_descriptors = ordering
            pages.append(page)
        return pages


def _forget(pages: _Pages) -> None:
    # Dispatched: the next load of that place makes a new loader (a socket's
    # context lives as long as the socket).
    registry = pages.info.context.pages
    for place, loader in list(registry.items()):
        if loader is pages:
            del registry[place]


def connection_nodes(
    info: Any,
    parent: Model,
    fk: str,
    rows_of: Callable[[list], QuerySet],
    alone: Callable[[], QuerySet] | None = None,
) -> QuerySet | Awaitable[QuerySet]:
    """What the resolver of a connection field on `parent` returns: `alone()`,
    the parent's own rows (by default `rows_of([parent.pk])`), unless the
    field is under a list (`groups { posts }`, `comments { replies }`); there,
    its page is read with those of every parent that shares its place in the
    operation, in one query (`fk`: the column of its rows naming their parent;
    `rows_of(parent pks)`: the rows of those parents the viewer may read, in
    the connection's order). After a cursor, with both `first` and `last`, or
    if that query fails, `alone()` again. Call it on the event loop
    (`on_the_loop`): it runs no query itself."""
    if alone is None:

        def alone() -> QuerySet:
            return rows_of([parent.pk])

    if not in_a_list(info.path):
        return alone()
    raw = info._raw_info
    variables = VariableValues(sources={}, coerced=get_variable_values(raw))
    arguments = get_argument_values(
        raw.parent_type.fields[raw.field_name], raw.field_nodes[0], variables
    )
    first, last = arguments.get("first"), arguments.get("last")
    if arguments.get("after") is not None or arguments.get("before") is not None:
        # After a cursor (of one parent's list), `totalCount` counts the whole
        # list, which the window of the page does not give.
        return alone()
    if first is not None and last is not None:
        # strawberry-django numbers `first` then `last` with a window over the
        # whole query, not per parent.
        return alone()
    # Its operation and variables (a socket runs several operations, perhaps of
    # one cached document), its type and place, list indexes left out, and its
    # page's size.
    keys = []
    path = info.path
    while path is not None:
        if not isinstance(path.key, int):
            keys.append(path.key)
        path = path.prev
    operation = (id(raw.operation), id(raw.variable_values))
    place = (*operation, raw.parent_type.name, *reversed(keys), first, last)
    registry = info.context.pages
    loader = registry.get(place)
    if loader is None:
        loader = registry[place] = _Pages(info, fk, rows_of, first, last)
    page = loader.load(parent.pk)

    async def nodes() -> QuerySet:
        found = await page
        return alone() if found is None else found

    return nodes()
