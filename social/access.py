"""The permission rules: who may see and do what. Nothing else decides it.

`<thing>_visible_to(viewer)` returns the queryset of what the viewer may read;
`can_<verb>_<thing>(viewer, obj)` answers one question. Anything not visible is
treated everywhere as if it did not exist.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from social.models import (
    Comment,
    Conversation,
    ConversationKind,
    Department,
    Group,
    GroupRole,
    Invitation,
    Membership,
    MembershipStatus,
    Message,
    Participant,
    Poll,
    PollBallot,
    PollOption,
    Post,
    Role,
    Site,
    User,
    Visibility,
)

Viewer = User | AnonymousUser


def is_signed_in(viewer: Viewer | None) -> bool:
    """Whether the viewer is an active, authenticated user."""
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_active)


def is_org_admin(viewer: Viewer | None) -> bool:
    """Whether the viewer is a signed-in organisation administrator."""
    return is_signed_in(viewer) and viewer.is_org_admin


def user_visible_to(
    viewer: Viewer | None, users: QuerySet[User] | None = None
) -> QuerySet[User]:
    """Colleagues visible to the viewer: nobody for anonymous clients, the active
    ones for agents, everyone (deactivated people too) for organisation admins,
    who must find a deactivated account to reactivate it. Of `users` if given
    (see post_visible_to), of all users otherwise.
    """
    users = User.objects.all() if users is None else users
    if not is_signed_in(viewer):
        return users.none()
    if viewer.is_org_admin:
        return users
    return users.filter(is_active=True)


def can_see_user(viewer: Viewer | None, user: User) -> bool:
    """`user_visible_to`, for one user already loaded."""
    if not is_signed_in(viewer):
        return False
    return viewer.is_org_admin or user.is_active


def can_see_contact_details(viewer: Viewer | None, user: User) -> bool:
    """The email and phone of a user are for that user and organisation admins.

    Decided from the viewer alone (no query), so a page of users costs nothing more.
    """
    if not is_signed_in(viewer):
        return False
    return viewer.pk == user.pk or viewer.is_org_admin


def department_visible_to(
    viewer: Viewer | None, departments: QuerySet[Department] | None = None
) -> QuerySet[Department]:
    """The organisation's departments are visible to every signed-in user."""
    departments = Department.objects.all() if departments is None else departments
    if not is_signed_in(viewer):
        return departments.none()
    return departments


def site_visible_to(
    viewer: Viewer | None, sites: QuerySet[Site] | None = None
) -> QuerySet[Site]:
    """The organisation's sites are visible to every signed-in user."""
    sites = Site.objects.all() if sites is None else sites
    if not is_signed_in(viewer):
        return sites.none()
    return sites


def can_see_organization(viewer: Viewer | None) -> bool:
    """The organisation's structure is shown to signed-in users only."""
    return is_signed_in(viewer)


def can_update_profile(viewer: Viewer | None, user: User) -> bool:
    """A user edits their own profile (department and site included)."""
    return is_signed_in(viewer) and viewer.pk == user.pk


def can_manage_users(viewer: Viewer | None) -> bool:
    """Organisation admins invite, deactivate and reactivate people."""
    return is_org_admin(viewer)


def invitation_visible_to(
    viewer: Viewer | None, invitations: QuerySet[Invitation] | None = None
) -> QuerySet[Invitation]:
    """Invitations are the business of organisation admins only."""
    invitations = Invitation.objects.all() if invitations is None else invitations
    if not can_manage_users(viewer):
        return invitations.none()
    return invitations


def can_manage_user(viewer: Viewer | None, user: User) -> bool:
    """Whether the viewer may deactivate, reactivate or change the role of `user`.

    Organisation admins manage others, never themselves (so the organisation cannot
    lose its last admin by mistake); a superuser is managed by superusers only, so an
    admin cannot lock the operator out.
    """
    if not can_manage_users(viewer) or viewer.pk == user.pk:
        return False
    return viewer.is_superuser or not user.is_superuser


# --- Groups and their content ----------------------------------------------------
#
# PUBLIC: every signed-in user sees the group and its content, and joins at once.
# PRIVATE: every signed-in user sees the group (listed); its content is for its
#   active members; joining is a request an admin of the group approves.
# SECRET: only its active members know it exists, organisation admins included
#   (they can act on a secret group's content only as members).
# Organisation-wide posts (group null) are for every signed-in user.

GROUP_MODERATOR_ROLES = (GroupRole.OWNER, GroupRole.ADMIN)


def active_group_ids(viewer: Viewer | None) -> QuerySet:
    """Ids of the groups the viewer is an active member of, as a subquery."""
    return Membership.objects.filter(
        user_id=viewer.pk, status=MembershipStatus.ACTIVE
    ).values("group_id")


def membership_of(viewer: Viewer | None, group: Group) -> Membership | None:
    """The viewer's membership of `group` (active or pending), or None."""
    if not is_signed_in(viewer):
        return None
    return Membership.objects.filter(user_id=viewer.pk, group_id=group.pk).first()


def _is_active(membership: Membership | None) -> bool:
    return membership is not None and membership.status == MembershipStatus.ACTIVE


def group_visible_to(
    viewer: Viewer | None, groups: QuerySet[Group] | None = None
) -> QuerySet[Group]:
    """Public and private groups, and the secret groups the viewer is in: of
    `groups` if given (see post_visible_to), of all groups otherwise."""
    groups = Group.objects.all() if groups is None else groups
    if not is_signed_in(viewer):
        return groups.none()
    return groups.filter(
        ~Q(visibility=Visibility.SECRET) | Q(pk__in=active_group_ids(viewer))
    )


def group_content_visible_to(viewer: Viewer | None) -> QuerySet[Group]:
    """Groups whose posts and members the viewer may read: public ones and the
    viewer's own."""
    if not is_signed_in(viewer):
        return Group.objects.none()
    return Group.objects.filter(
        Q(visibility=Visibility.PUBLIC) | Q(pk__in=active_group_ids(viewer))
    )


def post_visible_to(
    viewer: Viewer | None, posts: QuerySet[Post] | None = None
) -> QuerySet[Post]:
    """Organisation-wide posts and the posts of groups whose content is readable:
    of `posts` if given, of all posts otherwise.

    Given a queryset (a type's `get_queryset`), the rule is one more filter of
    that query: it joins the group once, where `posts & post_visible_to(viewer)`
    would join it again for its own conditions (Django's `&` duplicates the
    joins of its right side) and build a second query to merge."""
    posts = Post.objects.all() if posts is None else posts
    if not is_signed_in(viewer):
        return posts.none()
    return posts.filter(
        Q(group__isnull=True)
        | Q(group__visibility=Visibility.PUBLIC)
        | Q(group_id__in=active_group_ids(viewer))
    )


def comment_visible_to(
    viewer: Viewer | None, comments: QuerySet[Comment] | None = None
) -> QuerySet[Comment]:
    """Comments of the posts the viewer may read."""
    comments = Comment.objects.all() if comments is None else comments
    if not is_signed_in(viewer):
        return comments.none()
    return comments.filter(post__in=post_visible_to(viewer))


def can_read_group_content(
    viewer: Viewer | None, group: Group, membership: Membership | None
) -> bool:
    """Whether the viewer reads the posts and members of `group`."""
    if not is_signed_in(viewer):
        return False
    return group.visibility == Visibility.PUBLIC or _is_active(membership)


def can_see_group(
    viewer: Viewer | None, group: Group, membership: Membership | None
) -> bool:
    """Whether `group` exists for the viewer (a secret one only for its members)."""
    if not is_signed_in(viewer):
        return False
    return group.visibility != Visibility.SECRET or _is_active(membership)


def can_create_group(viewer: Viewer | None) -> bool:
    """Every signed-in user may start a group (and owns it)."""
    return is_signed_in(viewer)


def can_moderate_group(viewer: Viewer | None, membership: Membership | None) -> bool:
    """Owners and admins of a group manage it: settings, members, posts."""
    return (
        is_signed_in(viewer)
        and _is_active(membership)
        and membership.role in GROUP_MODERATOR_ROLES
    )


def can_delete_group(viewer: Viewer | None, membership: Membership | None) -> bool:
    """Only the owners of a group delete it, with everything posted in it."""
    return (
        is_signed_in(viewer)
        and _is_active(membership)
        and membership.role == GroupRole.OWNER
    )


def can_post_in_group(viewer: Viewer | None, membership: Membership | None) -> bool:
    """Active members post in their group."""
    return is_signed_in(viewer) and _is_active(membership)


def can_publish_org_wide(viewer: Viewer | None) -> bool:
    """Communicators and organisation admins post to the whole organisation and
    mark posts as announcements."""
    return is_signed_in(viewer) and (
        viewer.role in (Role.COMMUNICATOR, Role.ADMIN) or viewer.is_org_admin
    )


def can_edit_authored(viewer: Viewer | None, author_id: int) -> bool:
    """Only its author edits a post or a comment."""
    return is_signed_in(viewer) and viewer.pk == author_id


def can_delete_content(
    viewer: Viewer | None, author_id: int, group_membership: Membership | None
) -> bool:
    """A post or comment is deleted by its author, an admin of its group, or an
    organisation admin (who must be able to see it in the first place)."""
    return (
        can_edit_authored(viewer, author_id)
        or can_moderate_group(viewer, group_membership)
        or is_org_admin(viewer)
    )


def can_pin_post(
    viewer: Viewer | None, post: Post, group_membership: Membership | None
) -> bool:
    """Group admins pin in their group; communicators pin organisation-wide."""
    if post.group_id is None:
        return can_publish_org_wide(viewer)
    return can_moderate_group(viewer, group_membership)


# --- Taking part: comments and reactions (posts area) ----------------------------
#
# Whoever may read a post may comment on it and react to it and to its comments:
# the readers of a PUBLIC group need not join it first, and organisation-wide posts
# are open to everyone signed in. Narrow these two down to restrict it to members.


def posts_open_to_comments(viewer: Viewer | None) -> QuerySet[Post]:
    """Posts the viewer may comment on and react to: every post they may read."""
    return post_visible_to(viewer)


def comments_open_to_reactions(viewer: Viewer | None) -> QuerySet[Comment]:
    """Comments the viewer may react to: those of the posts open to them."""
    if not is_signed_in(viewer):
        return Comment.objects.none()
    return Comment.objects.filter(post__in=posts_open_to_comments(viewer))


# --- Group membership (issue 4, groups) --------------------------------------------
#
# Owners and admins of a group moderate it; organisation admins have no power over
# a group they are not a moderator of (they delete content through
# `can_delete_content`, nothing more). Memberships of deactivated accounts are
# hidden everywhere and count for nothing.


def moderated_group_ids(viewer: Viewer | None) -> QuerySet:
    """Ids of the groups the viewer owns or administers, as a subquery."""
    return Membership.objects.filter(
        user_id=viewer.pk,
        status=MembershipStatus.ACTIVE,
        role__in=GROUP_MODERATOR_ROLES,
    ).values("group_id")


def membership_visible_to(
    viewer: Viewer | None, memberships: QuerySet[Membership] | None = None
) -> QuerySet[Membership]:
    """The members of the groups whose content the viewer reads, the pending
    requests of the groups they moderate, and their own pending requests."""
    memberships = Membership.objects.all() if memberships is None else memberships
    if not is_signed_in(viewer):
        return memberships.none()
    return memberships.filter(
        Q(
            status=MembershipStatus.ACTIVE,
            group__in=group_content_visible_to(viewer),
        )
        | Q(status=MembershipStatus.PENDING, group_id__in=moderated_group_ids(viewer))
        | Q(
            status=MembershipStatus.PENDING,
            user_id=viewer.pk,
            group__in=group_visible_to(viewer),
        ),
        user__is_active=True,
    )


def can_join_group(
    viewer: Viewer | None, group: Group, membership: Membership | None
) -> bool:
    """Public and private groups are joined (private ones on approval); a secret
    group is only joined when a moderator adds you."""
    return (
        can_see_group(viewer, group, membership)
        and group.visibility != Visibility.SECRET
    )


def can_remove_group_member(
    viewer: Viewer | None, membership: Membership | None, target: Membership
) -> bool:
    """Moderators remove members; only an owner removes an owner."""
    if not can_moderate_group(viewer, membership):
        return False
    return target.role != GroupRole.OWNER or membership.role == GroupRole.OWNER


def can_set_group_role(
    viewer: Viewer | None,
    membership: Membership | None,
    target: Membership,
    role: str,
) -> bool:
    """Moderators make members admins and back; only owners make or unmake owners."""
    if not can_moderate_group(viewer, membership):
        return False
    if GroupRole.OWNER in (role, target.role):
        return membership.role == GroupRole.OWNER
    return True


# --- Polls (issue 5) ---------------------------------------------------------------
#
# A poll is read by whoever reads its post, and voted on by them too (like comments:
# the readers of a PUBLIC group need not join it). Its organisers — the post's
# author, the owners and admins of its group, organisation admins (who must see the
# post) — close it and, once a named quiz is closed, see its winners. Results
# (counts, voters) hidden until close are hidden from everyone, organisers
# included: they can close the poll early. Who chose what on an anonymous poll is
# never readable by anyone.


def poll_visible_to(
    viewer: Viewer | None, polls: QuerySet[Poll] | None = None
) -> QuerySet[Poll]:
    """The polls of the posts the viewer may read."""
    polls = Poll.objects.all() if polls is None else polls
    if not is_signed_in(viewer):
        return polls.none()
    return polls.filter(post__in=post_visible_to(viewer))


def poll_option_visible_to(
    viewer: Viewer | None, options: QuerySet[PollOption] | None = None
) -> QuerySet[PollOption]:
    """The options of the polls the viewer may read."""
    options = PollOption.objects.all() if options is None else options
    if not is_signed_in(viewer):
        return options.none()
    return options.filter(poll__in=poll_visible_to(viewer))


def polls_open_to_votes(viewer: Viewer | None) -> QuerySet[Poll]:
    """Polls the viewer may vote on (when open): every poll they may read."""
    return poll_visible_to(viewer)


def can_organise_poll(
    viewer: Viewer | None, post: Post, group_membership: Membership | None
) -> bool:
    """The post's author, a moderator of its group, or an organisation admin
    closes its poll and sees a quiz's winners."""
    return (
        can_edit_authored(viewer, post.author_id)
        or can_moderate_group(viewer, group_membership)
        or is_org_admin(viewer)
    )


def polls_organised_by(viewer: Viewer | None) -> QuerySet[Poll]:
    """The readable polls the viewer organises (`can_organise_poll`), as SQL."""
    if not is_signed_in(viewer):
        return Poll.objects.none()
    if is_org_admin(viewer):
        return poll_visible_to(viewer)
    return poll_visible_to(viewer).filter(
        Q(post__author_id=viewer.pk) | Q(post__group_id__in=moderated_group_ids(viewer))
    )


def poll_closed_q(now, prefix: str = "") -> Q:
    """The polls closed at `now` (Poll.is_closed_at), as a filter; `prefix`
    reaches the poll from another model (`"poll__"`)."""
    return Q(**{f"{prefix}closed_at__isnull": False}) | Q(
        **{f"{prefix}closes_at__lte": now}
    )


def can_see_poll_results(poll: Poll, now) -> bool:
    """Counts and voters are shown unless hidden until a close still to come."""
    return not poll.hide_results_until_closed or poll.is_closed_at(now)


def ballots_with_visible_voters(now) -> QuerySet[PollBallot]:
    """Ballots whose voter may be named: on named polls whose results are shown.

    An anonymous poll's ballots never name anyone, whoever asks.
    """
    return PollBallot.objects.filter(
        user__isnull=False, poll__is_anonymous=False
    ).filter(Q(poll__hide_results_until_closed=False) | poll_closed_q(now, "poll__"))


def polls_with_winners_visible_to(viewer: Viewer | None, now) -> QuerySet[Poll]:
    """Named quizzes, closed, that the viewer organises: their winners are shown."""
    return (
        polls_organised_by(viewer)
        .filter(is_quiz=True, is_anonymous=False)
        .filter(poll_closed_q(now))
    )


# --- Chat (issue 7) -----------------------------------------------------------------
#
# A conversation, its messages, participants and read receipts exist only for its
# current participants: nobody else, organisation admins included, learns that it
# exists. Leaving or being removed takes it all away at once (history included);
# someone added reads the whole history. Any participant of a GROUP conversation
# adds people; its creator, while a participant, removes them; everyone leaves by
# themselves. A DIRECT conversation stays between its two people: nobody is added,
# removed or leaves. Only its author edits or deletes a message.


def conversation_ids_of(viewer: Viewer | None) -> QuerySet:
    """Ids of the conversations the viewer takes part in now, as a subquery."""
    return Participant.objects.filter(user_id=viewer.pk).values("conversation_id")


def conversation_visible_to(
    viewer: Viewer | None, conversations: QuerySet[Conversation] | None = None
) -> QuerySet[Conversation]:
    """The conversations the viewer takes part in now; nothing for anyone else."""
    conversations = (
        Conversation.objects.all() if conversations is None else conversations
    )
    if not is_signed_in(viewer):
        return conversations.none()
    return conversations.filter(pk__in=conversation_ids_of(viewer))


def message_visible_to(
    viewer: Viewer | None, messages: QuerySet[Message] | None = None
) -> QuerySet[Message]:
    """The messages (tombstones included) of the viewer's conversations."""
    messages = Message.objects.all() if messages is None else messages
    if not is_signed_in(viewer):
        return messages.none()
    return messages.filter(conversation_id__in=conversation_ids_of(viewer))


def participant_visible_to(viewer: Viewer | None) -> QuerySet[Participant]:
    """The participants, with their read receipts, of the viewer's conversations;
    deactivated accounts only for organisation admins, as everywhere."""
    if not is_signed_in(viewer):
        return Participant.objects.none()
    return Participant.objects.filter(
        conversation_id__in=conversation_ids_of(viewer),
        user__in=user_visible_to(viewer),
    )


def participation_of(viewer: Viewer | None, conversation_id: int) -> Participant | None:
    """The viewer's participation in a conversation, or None."""
    if not is_signed_in(viewer):
        return None
    return Participant.objects.filter(
        user_id=viewer.pk, conversation_id=conversation_id
    ).first()


def chat_partners_visible_to(viewer: Viewer | None) -> QuerySet[User]:
    """Whom the viewer may start a conversation with or add to one: the active
    colleagues they see."""
    return user_visible_to(viewer).filter(is_active=True)


def can_start_conversation(viewer: Viewer | None) -> bool:
    """Every signed-in user writes to colleagues."""
    return is_signed_in(viewer)


def can_add_participants(
    viewer: Viewer | None, conversation: Conversation, participation: Participant | None
) -> bool:
    """Participants of a GROUP conversation add people to it."""
    return (
        is_signed_in(viewer)
        and participation is not None
        and conversation.kind == ConversationKind.GROUP
    )


def can_remove_participant(
    viewer: Viewer | None,
    conversation: Conversation,
    participation: Participant | None,
    user_id: int,
) -> bool:
    """Anyone in a GROUP conversation removes themselves (as leaving does); its
    creator removes others too (`can_remove_others`)."""
    if not can_leave_conversation(viewer, conversation, participation):
        return False
    return user_id == viewer.pk or can_remove_others(
        viewer, conversation, participation
    )


def can_remove_others(
    viewer: Viewer | None, conversation: Conversation, participation: Participant | None
) -> bool:
    """The creator of a GROUP conversation, while in it, removes other people."""
    return (
        can_leave_conversation(viewer, conversation, participation)
        and conversation.created_by_id == viewer.pk
    )


def can_leave_conversation(
    viewer: Viewer | None, conversation: Conversation, participation: Participant | None
) -> bool:
    """Participants leave a GROUP conversation; a DIRECT one is never left."""
    return can_add_participants(viewer, conversation, participation)


def can_edit_message(viewer: Viewer | None, message: Message) -> bool:
    """Only its author edits a message (one still in the conversation: see
    `message_visible_to`)."""
    return is_signed_in(viewer) and viewer.pk == message.author_id


def can_delete_message(viewer: Viewer | None, message: Message) -> bool:
    """Only its author deletes a message; nobody moderates a private
    conversation, organisation admins included."""
    return can_edit_message(viewer, message)


# --- Search (issue 8) ----------------------------------------------------------------
#
# Search finds only what the viewer may read, decided in the database query before
# ranking and paging, with the rules above: posts and comments of organisation-wide
# posts and of groups whose content the viewer reads, groups the viewer sees, people
# the viewer sees, and the messages (not deleted) of the viewer's conversations.
# Anonymous clients find nothing.


def search_scope(viewer: Viewer | None) -> Q:
    """The search index entries (social.search.SearchEntry) the viewer may find."""
    if not is_signed_in(viewer):
        return Q(pk__in=[])
    readable = Q(group_id__isnull=True) | Q(
        group_id__in=group_content_visible_to(viewer).values("pk")
    )
    return (
        (Q(kind__in=("POST", "COMMENT")) & readable)
        | Q(kind="GROUP", group_id__in=group_visible_to(viewer).values("pk"))
        | Q(kind="USER", object_id__in=user_visible_to(viewer).values("pk"))
        | Q(kind="MESSAGE", conversation_id__in=conversation_ids_of(viewer))
    )


# --- Live updates (issue 6) ----------------------------------------------------------
#
# A live connection decides who receives an event without a query: it keeps the
# viewer's rights in memory (`LiveRights`), re-read whenever an action says they
# changed (social.events.rights_changed), and each event carries what the rules
# need (the post's group and that group's visibility when it was written).


@dataclass(frozen=True)
class LiveRights:
    """What a live connection keeps of its viewer's rights."""

    user_id: int
    # The groups the viewer is an active member of.
    group_ids: frozenset[int] = frozenset()
    # The conversations the viewer takes part in now.
    conversation_ids: frozenset[int] = frozenset()


def live_rights_of(viewer: Viewer | None) -> LiveRights | None:
    """The rights of a signed-in viewer for live delivery; None otherwise."""
    if not is_signed_in(viewer):
        return None
    return LiveRights(
        user_id=viewer.pk,
        group_ids=frozenset(
            active_group_ids(viewer).values_list("group_id", flat=True)
        ),
        conversation_ids=frozenset(
            conversation_ids_of(viewer).values_list("conversation_id", flat=True)
        ),
    )


def can_receive_post_event(
    rights: LiveRights | None, group_id: int | None, visibility: str | None
) -> bool:
    """`post_visible_to`, decided in memory: organisation-wide posts, those of
    public groups, and those of the viewer's groups."""
    if rights is None:
        return False
    return (
        group_id is None
        or visibility == Visibility.PUBLIC
        or group_id in rights.group_ids
    )


def in_live_feed(rights: LiveRights | None, group_id: int | None) -> bool:
    """Whether an event belongs to the viewer's `feed` (`selectors.feed.feed_for`):
    organisation-wide posts and those of the viewer's groups."""
    return rights is not None and (group_id is None or group_id in rights.group_ids)


def can_receive_chat_event(rights: LiveRights | None, conversation_id: int) -> bool:
    """`conversation_visible_to`, decided in memory: current participants only."""
    return rights is not None and conversation_id in rights.conversation_ids
