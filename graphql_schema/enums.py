"""GraphQL enums shared by several schema areas."""

import enum

import strawberry

from social.models import Role as RoleChoices

# A plain str enum built from the model's TextChoices, so the two can never drift
# apart and the Django class is not mutated by strawberry. Resolvers may return the
# model's raw string ("AGENT"): strawberry serialises enum values by value.
Role = strawberry.enum(
    enum.Enum("Role", {value: value for value in RoleChoices.values}, type=str),
    name="Role",
    description="What a user may do organisation-wide.",
)
