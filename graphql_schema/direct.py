"""Direct resolvers: the fields that need none of Strawberry's per-field work.

Strawberry resolves each field through a chain: the optimizer's per-field hook
(graphql-core middleware, around every field of every operation), a Strawberry
`Info`, the conversion of the arguments, the field's extensions, and
strawberry-django's `get_result`. A feed page resolves about 760 fields, and the
chain was a third of the page's time (docs/PERFORMANCE.md). Three kinds of
fields of the strawberry-django types need none of it, and `install` gives
them a plain graphql-core resolver:

- **a model column**: a field without resolver, extensions or arguments whose
  model attribute is a plain column (`DeferredAttribute`, not a file, a
  relation or a property). It is read from the row as strawberry-django reads a
  cached column; a deferred column (not in the row) goes to the field's own
  resolver, which reads it off the event loop.
- **a relation to one row** (a foreign key or one-to-one, forward), likewise
  without resolver, extensions or arguments: read from the row's cache, as
  strawberry-django reads a cached relation, whoever cached it (the
  optimizer's prefetch, through the related type's rule; or a loader's
  `select_related`, where the parent row's rule implies the related row's:
  a post one may read is in a group one may read). One not read with the row
  goes to the field's own resolver.
- **a Node's `id`**, where the type keeps strawberry-django's `resolve_id` and
  Relay's `resolve_typename` and its id is the primary key (`NODE_ID_ATTR`):
  `GlobalID(type name, str(pk))`, as `resolve_model_id` gives.
- **a resolver marked `on_the_loop`** (batches.on_the_loop: it reads batched
  values or returns a loader's awaitable, never a queryset), sync, without
  extensions, whose parameters are `self`, `info` and arguments of built-in
  scalar types named alike in Python and GraphQL: called with its `Info`,
  the arguments as graphql-core gives them.

Every other field keeps Strawberry's resolver, and the optimizer's per-field
hook is moved onto it (`hooked`) unless its type is a leaf (a scalar or an
enum cannot be a queryset): the schema's `Optimizer` has no middleware, so no
field pays for the hook where it can do nothing. The hook only ever acts on a
queryset or manager that a resolver returns, which no direct field returns (a
direct resolver that meets one hands the field back to its own resolver).
Each direct or hooked resolver keeps the one it replaces as its
`strawberry_resolver`: tests/api/test_direct_resolvers.py puts the schema back
as it was (those resolvers, the optimizer's middleware, Strawberry's executor),
answers the same operations both ways and compares.

The schema's executor (`DirectExecutor`) goes one step further for the leaves:
a column, a Node's id or a basic Strawberry field (an attribute, no resolver)
is read and coerced at once, without graphql-core's path, resolve info and
`complete_value`; anything that reading cannot answer as graphql-core would
goes graphql-core's way (tests/api/test_direct_executor.py).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.db.models import QuerySet
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ForwardOneToOneDescriptor,
)
from django.db.models.manager import BaseManager
from django.db.models.query_utils import DeferredAttribute
from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationType,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry import Info, relay
from strawberry.extensions import SchemaExtension
from strawberry.relay import GlobalID, to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry_django.fields.base import StrawberryDjangoFieldBase
from strawberry_django.optimizer import (
    DjangoOptimizerExtension,
    OptimizerConfig,
    OptimizerStore,
    _get_gql_definition,
    _get_model_hints,
    is_optimized,
    optimizer,
)
from strawberry_django.queryset import get_queryset_config
from strawberry_django.relay.utils import resolve_model_id
from strawberry_django.utils.inspect import (
    get_possible_concrete_types,
    is_inheritance_qs,
)

SCALAR_ARGUMENTS = (int, str, bool, float)
FORWARD_RELATIONS = (ForwardManyToOneDescriptor, ForwardOneToOneDescriptor)


# The optimizer's hints (`only`, `select_related`) for a place of a parsed
# document (field_nodes kept, so that their ids stay theirs), with its variables.
_HINTS: dict[tuple, tuple[tuple, OptimizerStore]] = {}
_HINTS_KEPT = 512


class Optimizer(DjangoOptimizerExtension):
    """strawberry-django's optimizer without its per-field middleware: its hook
    runs on the fields that are not direct (`install`), the rest as before.

    Its hints for a queryset are worked out from the selection, the variables
    and the types along the path only: kept for the next operation of the same
    parsed document (limits.py keeps the documents), they are not worked out
    again (0.6 ms of a feed page). Hints that hold a prefetch or an annotation
    are never kept: those are built for one viewer (their querysets go through
    the related type's rule)."""

    resolve = SchemaExtension.resolve  # graphql-core then adds no middleware

    def optimize(
        self,
        qs: QuerySet | BaseManager,
        info: Any,
        *,
        store: OptimizerStore | None = None,
    ) -> QuerySet:
        if isinstance(qs, BaseManager):
            qs = qs.all()
        if (
            store is not None
            or not self.enabled.get()
            or not isinstance(qs, QuerySet)
            or is_optimized(qs)
            or qs._result_cache is not None
            or is_inheritance_qs(qs)
        ):
            return super().optimize(qs, info, store=store)
        raw = info._raw_info if isinstance(info, Info) else info
        config = OptimizerConfig(
            enable_only=self.enable_only
            and raw.operation.operation == OperationType.QUERY,
            enable_select_related=self.enable_select_related,
            enable_prefetch_related=self.enable_prefetch_related,
            enable_annotate=self.enable_annotate_optimization,
            prefetch_custom_queryset=self.prefetch_custom_queryset,
        )
        typenames = []
        path = raw.path
        while path is not None:
            if path.typename:
                typenames.append(path.typename)
            path = path.prev
        key = (
            qs.model,
            dataclasses.astuple(config),
            raw.parent_type.name,
            raw.field_name,
            tuple(map(id, raw.field_nodes)),
            tuple(typenames),
            repr(sorted(raw.variable_values.items())),
        )
        kept = _HINTS.get(key)
        if kept is not None and all(
            a is b for a, b in zip(kept[0], raw.field_nodes, strict=True)
        ):
            hints = kept[1]
        else:
            hints = _hints(qs.model, raw, config)
            if not hints.prefetch_related and not hints.annotate:
                if len(_HINTS) >= _HINTS_KEPT:
                    _HINTS.clear()
                _HINTS[key] = (tuple(raw.field_nodes), hints)
        if not hints:
            return qs
        qs = hints.apply(qs, info=raw, config=config)
        get_queryset_config(qs).optimized = True
        return qs


def _hints(model: type, info: Any, config: OptimizerConfig) -> OptimizerStore:
    """What strawberry-django's `optimize` works out for a queryset of `model`
    (not an inheritance one) before applying it."""
    store = OptimizerStore()
    schema = info.schema._strawberry_schema
    strawberry_type = schema.get_type_by_name(get_named_type(info.return_type).name)
    if strawberry_type is None:
        return store
    for definition in get_possible_concrete_types(model, schema, strawberry_type):
        found = _get_model_hints(
            model,
            schema,
            definition,
            parent_type=_get_gql_definition(schema, definition),
            info=info,
            config=config,
            subclass_collection=None,
        )
        if found is not None:
            store |= found
    return store


# The hook needs an optimizer: the operation's (set by its on_execute), or one
# with the same (default) settings where none runs: the fields of a
# subscription's events, which Strawberry resolves outside on_execute (the
# middleware used the operation's instance there; both have the defaults, so a
# schema that configured its optimizer would have to pass it here too).
_DEFAULT_OPTIMIZER = Optimizer()


def hooked(resolve: Callable) -> Callable:
    """`resolve` with the optimizer's per-field hook, as its middleware ran it."""

    def resolver(root: Any, info: Any, **kwargs: Any) -> Any:
        extension = optimizer.get() or _DEFAULT_OPTIMIZER
        return DjangoOptimizerExtension.resolve(
            extension, resolve, root, info, **kwargs
        )

    resolver.strawberry_resolver = resolve  # type: ignore[attr-defined]
    return resolver


def install(schema: Any) -> dict[str, list[str]]:
    """Give the fields of `schema` their resolvers: direct where they can be,
    Strawberry's with the optimizer's hook elsewhere. Returns the direct fields
    by kind, as "Type.field" (tests/api/test_direct_resolvers.py reads it)."""
    if getattr(schema.schema_converter, "_exception_handler_specs", ()):
        raise ValueError("direct resolvers would skip the exception handlers")
    if getattr(schema, "direct_fields", None) is not None:
        raise ValueError("direct resolvers are installed on this schema already")
    direct: dict[str, list[str]] = {"column": [], "relation": [], "id": [], "loop": []}
    names = schema.config.name_converter
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition = (graphql_type.extensions or {}).get("strawberry-definition")
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        model = getattr(definition.origin, "__strawberry_django_definition__", None)
        model = getattr(model, "model", None)
        fields = {names.get_graphql_name(field): field for field in definition.fields}
        for name, graphql_field in graphql_type.fields.items():
            field = fields.get(name)
            made = None
            if field is not None and model is not None:
                made = (
                    _column(field, model, graphql_field)
                    or _relation(field, model, graphql_field)
                    or _node_id(field, definition, model, graphql_field)
                    or _loop(field, names, schema.config.info_class, graphql_field)
                )
            if made is None:
                # The hook acts on querysets, which a leaf (scalar, enum) is not.
                leaf = is_leaf_type(get_named_type(graphql_field.type))
                if graphql_field.resolve is not None and not leaf:
                    graphql_field.resolve = hooked(graphql_field.resolve)
                continue
            kind, graphql_field.resolve = made
            direct[kind].append(f"{type_name}.{name}")
    schema.direct_fields = direct
    return direct


def _model_attribute(field: Any, model: type) -> Any:
    """The model's descriptor behind a strawberry-django field without
    resolver, extensions or arguments; None for any other field."""
    if not isinstance(field, StrawberryDjangoFieldBase) or field.base_resolver:
        return None
    if field.extensions or field.arguments:
        return None
    return model.__dict__.get(field.django_name or field.python_name)


def _direct(kind: str, resolver: Callable, fallback: Callable) -> tuple[str, Callable]:
    resolver.strawberry_resolver = fallback.strawberry_resolver  # type: ignore[attr-defined]
    return kind, resolver


def _column(
    field: Any, model: type, graphql_field: GraphQLField
) -> tuple[str, Callable] | None:
    attribute = _model_attribute(field, model)
    if type(attribute) is not DeferredAttribute or field.is_relation:
        return None
    attname = attribute.field.attname
    fallback = hooked(graphql_field.resolve)

    def read(root: Any) -> Any:
        return root.__dict__[attname]

    def column(root: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return read(root)
        except (KeyError, AttributeError):  # deferred, or not a row
            return fallback(root, info, **kwargs)

    column.read = read  # type: ignore[attr-defined]
    return _direct("column", column, fallback)


def _relation(
    field: Any, model: type, graphql_field: GraphQLField
) -> tuple[str, Callable] | None:
    attribute = _model_attribute(field, model)
    if type(attribute) not in FORWARD_RELATIONS or not field.is_relation:
        return None
    cache_name = attribute.field.cache_name
    fallback = hooked(graphql_field.resolve)

    def relation(root: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return root._state.fields_cache[cache_name]
        except (KeyError, AttributeError):  # not read with the row
            return fallback(root, info, **kwargs)

    return _direct("relation", relation, fallback)


def _node_id(
    field: Any, definition: StrawberryObjectDefinition, model: type, graphql_field
) -> tuple[str, Callable] | None:
    origin = definition.origin
    if field.python_name != "_id" or not issubclass(origin, relay.Node):
        return None
    if getattr(origin.resolve_id, "__func__", None) is not resolve_model_id:
        return None
    if origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__:
        return None
    if origin.resolve_id_attr() != "pk":
        return None
    type_name, attname = definition.name, model._meta.pk.attname
    fallback = hooked(graphql_field.resolve)

    def node_id(root: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return GlobalID(type_name, str(root.__dict__[attname]))
        except (KeyError, AttributeError):  # deferred, or not a row
            return fallback(root, info, **kwargs)

    def read(root: Any) -> str:
        # The string that id serialises to (GlobalID's own `__str__`).
        return to_base64(type_name, root.__dict__[attname])

    node_id.read = read  # type: ignore[attr-defined]
    return _direct("id", node_id, fallback)


async def _rows_by_the_rule(field: Any, info: Any, awaitable: Any) -> Any:
    """What a loop resolver's awaitable gives, with strawberry-django's queryset
    hook (the type's `get_queryset`, the optimizer) applied to a queryset or a
    manager, as its `get_result` does: none of the loaders gives one today."""
    value = await awaitable
    if isinstance(value, BaseManager):
        value = value.all()
    if isinstance(value, QuerySet):
        value = await sync_to_async(field.get_queryset_hook(info=info))(value)
    return value


def _loop(
    field: Any, names: Any, info_class: type, graphql_field: GraphQLField
) -> tuple[str, Callable] | None:
    if not isinstance(field, StrawberryDjangoFieldBase) or field.extensions:
        return None
    resolver = field.base_resolver
    if resolver is None or resolver.is_async:
        return None
    function = resolver.wrapped_func
    if not getattr(function, "is_async_safe", False):
        return None
    parameters = list(inspect.signature(function).parameters)
    arguments = [argument.python_name for argument in field.arguments]
    if parameters != ["self", "info", *arguments]:
        return None
    for argument in field.arguments:
        if argument.type not in SCALAR_ARGUMENTS:
            return None
        if names.get_graphql_name(argument) != argument.python_name:
            return None
    fallback = hooked(graphql_field.resolve)

    def loop(root: Any, info: Any, **kwargs: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=field)
        result = function(root, strawberry_info, **kwargs)
        if isinstance(result, (QuerySet, BaseManager)):
            return fallback(root, info, **kwargs)  # not one for a direct field
        if inspect.isawaitable(result):  # a loader's: not batched with a page
            return _rows_by_the_rule(field, strawberry_info, result)
        return result

    return _direct("loop", loop, fallback)


# --- The executor: a leaf read off its row needs no per-field machinery ------------

_SLOW = object()  # the field takes graphql-core's own path


def _leaf_reader(field: GraphQLField) -> tuple[Callable, Callable, bool] | None:
    """How a leaf field is read without a resolve info: (read, the leaf type's
    coercion, whether the field is non-null); None for any other field.

    `read(row)` is a direct resolver's (a column, a Node's id), or Strawberry's
    resolver of a basic field (no resolver, extensions or permissions: an
    attribute of the object, which takes no info), marked `_is_default`."""
    resolve = field.resolve
    read = getattr(resolve, "read", None)
    if read is None and getattr(resolve, "_is_default", False):
        read = resolve
    if read is None or field.args:
        return None
    non_null = isinstance(field.type, GraphQLNonNull)
    leaf = field.type.of_type if non_null else field.type
    if not is_leaf_type(leaf):
        return None
    return read, leaf.coerce_output_value, non_null


class DirectExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with the leaf fields read directly.

    graphql-core runs the same chain for every field (a path, a resolve info,
    the arguments, the resolver, awaitable checks, then `complete_value`, twice
    for a non-null type); for a leaf read off its row (a column, a Node's id, a
    basic field) that is most of its cost, and a feed page has about 415 of
    them. Here such a field's value is read and coerced at once. Whatever that
    cannot answer as graphql-core would (a value missing from the row, a null
    for a non-null field, a value the scalar refuses, an exception or an
    awaitable as the value) goes graphql-core's own way, which reads it again
    and reports it as before. With a middleware (an extension's `resolve`
    hook) every field goes that way.
    """

    # Per field of the schema (by id, with the resolver it was planned for).
    _plans: ClassVar[dict[int, tuple[GraphQLField, Callable, Any]]] = {}

    def _leaf_value(self, field: GraphQLField, source: Any) -> Any:
        plan = self._plans.get(id(field))
        if plan is None or plan[0] is not field or plan[1] is not field.resolve:
            plan = (field, field.resolve, _leaf_reader(field))
            self._plans[id(field)] = plan
        reader = plan[2]
        if reader is None:
            return _SLOW
        read, coerce, non_null = reader
        try:
            value = read(source)
            if value is None or value is Undefined:
                return _SLOW if non_null else None
            if isinstance(value, Exception) or self.is_awaitable(value):
                return _SLOW
            coerced = coerce(value)
        except Exception:
            return _SLOW
        return _SLOW if coerced is None or coerced is Undefined else coerced

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        middleware = self.middleware_manager
        if middleware is not None and middleware._middleware_resolvers:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        # graphql-core's `Executor.execute_fields` (3.3), with the leaf fields
        # answered first by `_leaf_value`.
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        get_field = self.schema.get_field
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field = get_field(parent_type, field_details_list[0].node.name.value)
                if field is not None:
                    value = self._leaf_value(field, source_value)
                    if value is not _SLOW:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background(
                    [results[field] for field in awaitable_fields]
                )
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(
                    *(results[field] for field in awaitable_fields)
                )
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()
