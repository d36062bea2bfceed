"""Limits on every operation, checked before any resolver runs (docs/LIMITS.md).

They are validation rules, so a refused operation is answered the same way over
HTTP and WebSocket: `data: null` and an error with its `extensions.code`.
"""

from collections.abc import Iterator

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
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
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


class OperationLimits(SchemaExtension):
    """Size, fields, depth, aliases and page sizes, from the settings in force.

    Size and expanded field count are checked first; a document over either is
    refused without running the other rules, whose walks are not memoised.
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


class TokenLimiter(MaxTokensLimiter):
    """Stop parsing past GRAPHQL_MAX_TOKENS tokens."""

    def __init__(self) -> None:
        super().__init__(max_token_count=settings.GRAPHQL_MAX_TOKENS)


# Extensions given as classes are made anew for each operation.
LIMIT_EXTENSIONS = [TokenLimiter, OperationLimits]
