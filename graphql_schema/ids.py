"""Global IDs given in inputs and arguments, turned into primary keys."""

from strawberry import relay

from graphql_schema.errors import BadUserInput
from social.errors import DomainError, ErrorCode


def pk_of(value: relay.GlobalID, type_name: str, field: str) -> int:
    """The primary key of a `type_name` global ID, or NOT_FOUND naming `field`.

    An ID of another type, or one that cannot be a key, is refused as if its
    object did not exist.
    """
    if value.type_name != type_name or not value.node_id.isdigit():
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {type_name}.", field)
    return int(value.node_id)


def argument_pk(value: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The primary key of an ID argument of a query or subscription (None for
    None); an ID of another type is a BAD_USER_INPUT error."""
    if value is None:
        return None
    try:
        return pk_of(value, type_name, field)
    except DomainError as error:
        raise BadUserInput(f"{field} is not the ID of a {type_name}.") from error
