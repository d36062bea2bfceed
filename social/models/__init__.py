"""The models, one module per area, re-exported flat."""

from social.models.users import User

__all__ = ["User"]
