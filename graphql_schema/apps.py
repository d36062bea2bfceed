from django.apps import AppConfig


class GraphQLSchemaConfig(AppConfig):
    """The public GraphQL API over the `social` domain."""

    name = "graphql_schema"
    verbose_name = "GraphQL API"
