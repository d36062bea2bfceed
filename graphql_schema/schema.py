"""The root Query, Mutation and Subscription, with the extensions and limits."""

import strawberry
import strawberry_django
from django.conf import settings
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from graphql_schema.chat.mutations import ChatMutations
from graphql_schema.chat.queries import ChatQueries
from graphql_schema.credentials import SocketCredentialsCheck
from graphql_schema.direct import DirectExecutor, Optimizer, install
from graphql_schema.errors import ErrorCodes
from graphql_schema.groups.mutations import GroupMutations
from graphql_schema.groups.queries import GroupQueries
from graphql_schema.identity.mutations import IdentityMutations
from graphql_schema.invitations.mutations import InvitationMutations
from graphql_schema.limits import LIMIT_EXTENSIONS
from graphql_schema.live.subscriptions import LiveSubscriptions
from graphql_schema.org.queries import OrgQueries
from graphql_schema.polls.mutations import PollMutations
from graphql_schema.posts.mutations import PostMutations
from graphql_schema.posts.queries import PostQueries
from graphql_schema.search.queries import SearchQueries
from graphql_schema.system.subscriptions import SystemSubscriptions
from graphql_schema.users.mutations import UserMutations
from graphql_schema.users.queries import UserQueries


@strawberry.type
class Query(
    UserQueries, OrgQueries, GroupQueries, PostQueries, SearchQueries, ChatQueries
):
    node: relay.Node | None = strawberry_django.node(
        description="Any object by its global ID; null if the viewer may not see it."
    )

    nodes: list[relay.Node | None] = strawberry_django.node(
        description="Objects by their global IDs; null where the viewer may not see."
    )


@strawberry.type
class Mutation(
    UserMutations,
    IdentityMutations,
    InvitationMutations,
    GroupMutations,
    PostMutations,
    PollMutations,
    ChatMutations,
):
    pass


@strawberry.type
class Subscription(LiveSubscriptions, SystemSubscriptions):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(relay_max_results=settings.GRAPHQL_PAGE_SIZE_MAX),
    execution_context_class=DirectExecutor,
    extensions=[
        ErrorCodes,
        SocketCredentialsCheck,
        *LIMIT_EXTENSIONS,
        Optimizer,
    ],
)
# Plain resolvers for the fields that need none of Strawberry's per-field work.
DIRECT_FIELDS = install(schema)
