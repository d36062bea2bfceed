"""The models, one module per area, re-exported flat."""

from social.models.auth import AccessToken, Invitation
from social.models.org import Department, Site
from social.models.users import Role, User

__all__ = ["AccessToken", "Department", "Invitation", "Role", "Site", "User"]
