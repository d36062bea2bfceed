"""Parsed and validated documents are cached (graphql_schema/limits.py), and a
cached document is still held to the limits in force and to its variables."""

import pytest
import strawberry.schema.schema as strawberry_schema
from django.test.utils import override_settings

from tests.api.test_limits import DEPTH_3, refused_with


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """The documents Strawberry validated itself (not answered from the cache)."""
    seen: list[str] = []
    validate = strawberry_schema.validate_document

    def counting(schema, document, rules):
        seen.append(document.loc.source.body)
        return validate(schema, document, rules)

    monkeypatch.setattr(strawberry_schema, "validate_document", counting)
    return seen


PAGE = "query CachedPage($n: Int!) { users(first: $n) { totalCount } }"


def test_a_document_is_validated_once_then_answered_from_the_cache(agent, validations):
    """The second operation with the same text skips validation."""
    query = "query CachedOnce { viewer { id } }"
    agent.data(query)
    agent.data(query)
    assert validations.count(query) <= 1


def test_page_sizes_from_variables_are_checked_on_every_operation(agent):
    """A document validated with `first: 10` is refused with `first: 101`."""
    agent.data(PAGE, {"n": 10})
    assert refused_with(agent.execute(PAGE, {"n": 101}), "BAD_USER_INPUT")
    assert refused_with(agent.execute(PAGE, {"n": -1}), "BAD_USER_INPUT")
    agent.data(PAGE, {"n": 100})


def test_a_variable_default_over_the_cap_is_refused_when_it_applies(agent):
    """Validated with an explicit value, the document is still refused when the
    default (over the cap) is the one used."""
    query = "query CachedDefault($n: Int = 101) { users(first: $n) { totalCount } }"
    agent.data(query, {"n": 5})
    assert refused_with(agent.execute(query), "BAD_USER_INPUT")


def test_a_document_cached_as_valid_is_refused_once_a_limit_is_lowered(agent):
    """The limits in force are part of what was validated."""
    with override_settings(GRAPHQL_MAX_DEPTH=3):
        agent.data(DEPTH_3)
        agent.data(DEPTH_3)
    with override_settings(GRAPHQL_MAX_DEPTH=2):
        assert refused_with(agent.execute(DEPTH_3), "QUERY_TOO_COMPLEX")
        assert refused_with(agent.execute(DEPTH_3), "QUERY_TOO_COMPLEX")


def test_an_over_limit_document_is_refused_every_time(agent):
    """A refused document is never kept as valid."""
    query = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(31)) + " }"
    for _ in range(3):
        assert refused_with(agent.execute(query), "QUERY_TOO_COMPLEX")


def test_an_invalid_document_is_refused_every_time(agent):
    query = "query CachedInvalid { viewer { noSuchField } }"
    for _ in range(2):
        body = agent.execute(query)
        assert body["data"] is None
        assert "noSuchField" in body["errors"][0]["message"]


def test_the_token_limit_applies_to_a_document_parsed_before(agent):
    """The parser cache is keyed by the token limit too."""
    query = "query CachedTokens { viewer { id displayName username } }"
    agent.data(query)
    with override_settings(GRAPHQL_MAX_TOKENS=5):
        assert refused_with(agent.execute(query), "QUERY_TOO_COMPLEX")
    agent.data(query)
