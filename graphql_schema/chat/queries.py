"""Queries on chat: the viewer's conversations."""

from collections.abc import Iterable

import strawberry
import strawberry_django

from graphql_schema.chat.types import Conversation
from graphql_schema.context import Info
from graphql_schema.relay import Connection
from social import access
from social.models import Conversation as ConversationModel


@strawberry.type
class ChatQueries:
    @strawberry_django.connection(
        Connection[Conversation],
        description=(
            "The viewer's conversations, most recent activity first (a new "
            "message moves its conversation to the top: refetch the first page). "
            "Empty for anonymous clients."
        ),
    )
    def conversations(self, info: Info) -> Iterable[ConversationModel]:
        return access.conversation_visible_to(info.context.viewer).order_by(
            "-updated_at", "-pk"
        )
