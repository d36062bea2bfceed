"""Limits on every operation, checked before any resolver runs (docs/LIMITS.md)."""

from collections.abc import Iterator

from django.conf import settings
from graphql import (
    ArgumentNode,
    IntValueNode,
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


class DocumentSizeLimiter(SchemaExtension):
    """Refuse a document larger than GRAPHQL_MAX_DOCUMENT_BYTES before parsing it."""

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        limit = settings.GRAPHQL_MAX_DOCUMENT_BYTES
        size = len(query.encode())
        if size > limit:
            raise QueryTooComplex(
                f"The document is {size} bytes long; the limit is {limit} bytes."
            )
        yield


class PageSizeLimiter(SchemaExtension):
    """Refuse `first`/`last` outside 0..GRAPHQL_PAGE_SIZE_MAX, variables included."""

    def on_validate(self) -> Iterator[None]:
        variables = self.execution_context.variables or {}
        limit = settings.GRAPHQL_PAGE_SIZE_MAX

        class PageSizeRule(ValidationRule):
            def enter_argument(self, node: ArgumentNode, *_args) -> None:
                if node.name.value not in PAGE_ARGUMENTS:
                    return
                value = node.value
                if isinstance(value, IntValueNode):
                    number = int(value.value)
                elif isinstance(value, VariableNode):
                    number = variables.get(value.name.value)
                else:
                    return
                if isinstance(number, int) and not 0 <= number <= limit:
                    self.report_error(
                        BadUserInput(
                            f"'{node.name.value}' must be between 0 and {limit}.",
                            nodes=[node],
                        )
                    )

        def rule(context: ValidationContext) -> ValidationRule:
            return PageSizeRule(context)

        context = self.execution_context
        context.validation_rules = (*context.validation_rules, rule)
        yield


# Strawberry's limiters, made per operation (extensions given as classes are) so
# that they read the settings in force.
class TokenLimiter(MaxTokensLimiter):
    """Stop parsing past GRAPHQL_MAX_TOKENS tokens."""

    def __init__(self) -> None:
        super().__init__(max_token_count=settings.GRAPHQL_MAX_TOKENS)


class DepthLimiter(QueryDepthLimiter):
    """Refuse operations nested deeper than GRAPHQL_MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__(max_depth=settings.GRAPHQL_MAX_DEPTH)


class AliasLimiter(MaxAliasesLimiter):
    """Refuse more than GRAPHQL_MAX_ALIASES aliases, counted through fragments."""

    def __init__(self) -> None:
        super().__init__(max_alias_count=settings.GRAPHQL_MAX_ALIASES)


LIMIT_EXTENSIONS = [
    DocumentSizeLimiter,
    TokenLimiter,
    DepthLimiter,
    AliasLimiter,
    PageSizeLimiter,
]
