"""Domain errors: what an action refuses, with a code clients can act on."""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Why an action was refused (the `ErrorCode` of the API)."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    CLOSED = "CLOSED"
    RATE_LIMITED = "RATE_LIMITED"


class DomainError(Exception):
    """One refused input or action; `field` names the input field at fault."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class DomainErrors(Exception):
    """Several refused inputs, reported together so a form shows them all."""

    def __init__(self, errors: list[DomainError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def check_text(
    value: str | None, *, field: str, max_length: int, required: bool = True
) -> str:
    """Return `value` stripped, or raise REQUIRED / TOO_LONG."""
    text = (value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field} must not be blank.", field)
    if len(text) > max_length:
        raise DomainError(
            ErrorCode.TOO_LONG,
            f"{field} must be at most {max_length} characters long.",
            field,
        )
    return text
