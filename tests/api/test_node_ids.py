"""Every Node type says its `id` is the primary key (graphql_schema/relay.py)."""

from strawberry.relay import Node
from strawberry.types.base import StrawberryObjectDefinition

from graphql_schema.relay import NODE_ID_ATTR
from graphql_schema.schema import schema


def test_every_node_type_names_its_id_attribute():
    """Without `_id_attr`, Strawberry scans annotations on every id resolved."""
    definitions = [
        concrete.definition for concrete in schema.schema_converter.type_map.values()
    ]
    origins = [
        definition.origin
        for definition in definitions
        if isinstance(definition, StrawberryObjectDefinition)
        and not definition.is_interface
        and isinstance(definition.origin, type)
        and issubclass(definition.origin, Node)
    ]
    assert len(origins) >= 10
    for origin in origins:
        assert origin.__dict__.get("_id_attr") == NODE_ID_ATTR, origin
