"""The models, one module per area, re-exported flat."""

from social.models.auth import AccessToken, Invitation
from social.models.chat import (
    Conversation,
    ConversationKind,
    Message,
    Participant,
    direct_key,
)
from social.models.groups import (
    Group,
    GroupKind,
    GroupRole,
    Membership,
    MembershipStatus,
    Visibility,
)
from social.models.org import Department, Site
from social.models.polls import Poll, PollBallot, PollOption, PollParticipation
from social.models.posts import Comment, Post, Reaction, ReactionKind
from social.models.search import SearchEntry, SearchKind
from social.models.users import Role, User

__all__ = [
    "AccessToken",
    "Comment",
    "Conversation",
    "ConversationKind",
    "Department",
    "Group",
    "GroupKind",
    "GroupRole",
    "Invitation",
    "Membership",
    "MembershipStatus",
    "Message",
    "Participant",
    "Poll",
    "PollBallot",
    "PollOption",
    "PollParticipation",
    "Post",
    "Reaction",
    "ReactionKind",
    "Role",
    "SearchEntry",
    "SearchKind",
    "Site",
    "User",
    "Visibility",
    "direct_key",
]
