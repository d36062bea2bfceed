"""Limits on every operation, checked before any resolver runs (docs/LIMITS.md).

They are validation rules, so a refused operation is answered the same way over
HTTP and WebSocket: `data: null` and an error with its `extensions.code`.
"""

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import suppress

from django.conf import settings
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)

from graphql_schema.errors import BadUserInput, QueryTooComplex

PAGE_ARGUMENTS = ("first", "last")


def expanded_field_count(document: DocumentNode) -> int:
    """Count the fields of every operation with each fragment spread expanded.

    Fragment sizes are memoised, so a document whose spreads double at each level
    costs linear time here, where walking it spread by spread would take
    exponential time.
    """
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def count(selection_set: SelectionSetNode | None, visiting: frozenset) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + count(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A cycle is invalid anyway; graphql-core reports it.
                if name in visiting or name not in fragments:
                    continue
                if name not in sizes:
                    sizes[name] = count(
                        fragments[name].selection_set, visiting | {name}
                    )
                total += sizes[name]
        return total

    return sum(
        count(definition.selection_set, frozenset())
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )


def _variable_defaults(document: DocumentNode) -> dict[str, int]:
    defaults: dict[str, int] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for variable in definition.variable_definitions or ():
                if isinstance(variable.default_value, IntValueNode):
                    defaults[variable.variable.name.value] = int(
                        variable.default_value.value
                    )
    return defaults


def _page_size_rule(variables: dict) -> type[ValidationRule]:
    limit = settings.GRAPHQL_PAGE_SIZE_MAX

    class PageSizeRule(ValidationRule):
        """Refuse `first`/`last` outside 0..GRAPHQL_PAGE_SIZE_MAX."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.values = {**_variable_defaults(context.document), **variables}

        def enter_argument(self, node: ArgumentNode, *_args) -> None:
            if node.name.value not in PAGE_ARGUMENTS:
                return
            if isinstance(node.value, IntValueNode):
                number = int(node.value.value)
            elif isinstance(node.value, VariableNode):
                number = self.values.get(node.value.name.value)
            else:
                return
            if isinstance(number, int) and not 0 <= number <= limit:
                self.report_error(
                    BadUserInput(
                        f"'{node.name.value}' must be between 0 and {limit}.",
                        nodes=[node],
                    )
                )

    return PageSizeRule


def _refusal_rule(error: GraphQLError) -> type[ValidationRule]:
    class Refusal(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            context.report_error(error)

    return Refusal


# Documents that passed validation, with the settings in force: validating one
# again would give the same answer, except for page sizes given as variables,
# which are checked on every operation. Refused documents are never kept.
VALIDATED_DOCUMENTS_MAX = 256
_validated: OrderedDict[tuple, "_PageVariables"] = OrderedDict()


class _PageVariables:
    """Where a validated document takes `first`/`last` from variables, and the
    variables' defaults: what the page-size rule reads from each operation."""

    def __init__(self, document: DocumentNode) -> None:
        self.defaults = _variable_defaults(document)
        self.usages: list[tuple[ArgumentNode, str]] = []
        usages = self.usages

        class Collect(Visitor):
            def enter_argument(self, node: ArgumentNode, *_args) -> None:
                if node.name.value in PAGE_ARGUMENTS and isinstance(
                    node.value, VariableNode
                ):
                    usages.append((node, node.value.name.value))

        visit(document, Collect())

    def errors(self, variables: dict) -> list[GraphQLError]:
        limit = settings.GRAPHQL_PAGE_SIZE_MAX
        values = {**self.defaults, **variables}
        return [
            BadUserInput(
                f"'{node.name.value}' must be between 0 and {limit}.", nodes=[node]
            )
            for node, name in self.usages
            if isinstance(values.get(name), int) and not 0 <= values[name] <= limit
        ]


def _cache_key(context) -> tuple | None:
    document = context.graphql_document
    if document is None or document.loc is None:
        return None
    return (
        id(context.schema),
        document.loc.source.body,
        tuple(context.validation_rules),
        settings.GRAPHQL_MAX_DOCUMENT_BYTES,
        settings.GRAPHQL_MAX_FIELDS,
        settings.GRAPHQL_MAX_DEPTH,
        settings.GRAPHQL_MAX_ALIASES,
        settings.GRAPHQL_PAGE_SIZE_MAX,
    )


class OperationLimits(SchemaExtension):
    """Size, fields, depth, aliases and page sizes, from the settings in force.

    Size and expanded field count are checked first; a document over either is
    refused without running the other rules, whose walks are not memoised.

    A document that passed every rule is remembered (with the settings and the
    other rules in force): the next operation with the same text skips
    validation but for the page sizes its variables give.
    """

    def _refusal(self, document: DocumentNode) -> QueryTooComplex | None:
        body = document.loc.source.body if document.loc else ""
        size, max_size = len(body.encode()), settings.GRAPHQL_MAX_DOCUMENT_BYTES
        if size > max_size:
            return QueryTooComplex(
                f"The document is {size} bytes long; the limit is {max_size} bytes."
            )
        fields, max_fields = expanded_field_count(document), settings.GRAPHQL_MAX_FIELDS
        if fields > max_fields:
            return QueryTooComplex(
                f"The operation selects {fields} fields once fragments are "
                f"expanded; the limit is {max_fields}."
            )
        return None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        key = _cache_key(context)
        known = _validated.get(key) if key is not None else None
        if known is not None:
            with suppress(KeyError):  # dropped meanwhile by another thread
                _validated.move_to_end(key)
            # Set, even empty: Strawberry then runs no validation of its own.
            context.pre_execution_errors = known.errors(context.variables or {})
            yield
            return
        refusal = self._refusal(context.graphql_document)
        if refusal is not None:
            context.validation_rules = (_refusal_rule(refusal),)
        else:
            context.validation_rules = (
                *context.validation_rules,
                *QueryDepthLimiter(
                    max_depth=settings.GRAPHQL_MAX_DEPTH
                ).validation_rules,
                *MaxAliasesLimiter(
                    max_alias_count=settings.GRAPHQL_MAX_ALIASES
                ).validation_rules,
                _page_size_rule(context.variables or {}),
            )
        yield
        if key is not None and refusal is None and not context.pre_execution_errors:
            _validated[key] = _PageVariables(context.graphql_document)
            while len(_validated) > VALIDATED_DOCUMENTS_MAX:
                _validated.popitem(last=False)


class DocumentCache(ParserCache):
    """Parse each document text once (LRU): its tokens are counted then, and a
    document over GRAPHQL_MAX_TOKENS fails to parse every time (never kept)."""

    def __init__(self) -> None:
        super().__init__(maxsize=VALIDATED_DOCUMENTS_MAX)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # A document that fails to parse is left to Strawberry, which parses it
        # again and reports the error as it always does (syntax, too many tokens).
        with suppress(Exception):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class TokenLimiter(MaxTokensLimiter):
    """Stop parsing past GRAPHQL_MAX_TOKENS tokens."""

    def __init__(self) -> None:
        super().__init__(max_token_count=settings.GRAPHQL_MAX_TOKENS)


# Extensions given as classes are made anew for each operation. DocumentCache
# parses after TokenLimiter set the token limit (its cache key includes it).
LIMIT_EXTENSIONS = [TokenLimiter, DocumentCache, OperationLimits]
