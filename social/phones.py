"""Phone numbers as agents type them, and as they are stored."""

import re

from social.errors import DomainError, ErrorCode

_SEPARATORS = re.compile(r"[\s.\-()/]")


def normalize_phone(value: str, *, field: str = "phone") -> str:
    """Return `value` as digits with an optional leading '+' ("06 12 34 56 78" ->
    "0612345678"); blank stays blank; anything else raises INVALID.
    """
    compact = _SEPARATORS.sub("", value or "")
    if not compact:
        return ""
    if not re.fullmatch(r"\+?\d{6,20}", compact):
        raise DomainError(ErrorCode.INVALID, "This is not a phone number.", field)
    return compact
