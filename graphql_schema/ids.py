"""Global IDs given in inputs and arguments, turned into primary keys."""

from strawberry import relay

from social.errors import DomainError, ErrorCode


def pk_of(value: relay.GlobalID, type_name: str, field: str) -> int:
    """The primary key of a `type_name` global ID, or NOT_FOUND naming `field`.

    An ID of another type, or one that cannot be a key, is refused as if its
    object did not exist.
    """
    if value.type_name != type_name or not value.node_id.isdigit():
        raise DomainError(ErrorCode.NOT_FOUND, f"No such {type_name}.", field)
    return int(value.node_id)
