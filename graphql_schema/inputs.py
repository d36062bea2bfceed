"""Helpers for mutation inputs."""

from typing import TypeVar

import strawberry

T = TypeVar("T")


def given(value: T | None) -> T | None:
    """The value of an optional input field; None when it was left out or null."""
    return None if value is strawberry.UNSET else value
