"""What each action publishes (social.events), on the configured channel layer.

Async tests with committed transactions: events leave on commit, through the
real channel layer of the run (in memory, or Redis in CI's second pass).
"""

import asyncio
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from social import access, events
from social.actions.auth import token_issue, token_revoke_all
from social.actions.comments import comment_add
from social.actions.groups import (
    group_add_members,
    group_create,
    group_delete,
    group_remove_member,
)
from social.actions.polls import PollSpec, poll_vote
from social.actions.posts import post_create, post_delete
from social.actions.reactions import reaction_set
from social.errors import DomainErrors
from social.models import Group, Membership, MembershipStatus, Post, Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

RECEIVE_TIMEOUT_SECONDS = 5


class Audience:
    """A channel listening to some audiences, as a connection would."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    async def next(self) -> dict:
        async with asyncio.timeout(RECEIVE_TIMEOUT_SECONDS):
            message = await get_channel_layer().receive(self.channel)
        message.pop("id")
        return message


async def listening(*audiences: str) -> Audience:
    layer = get_channel_layer()
    channel = await layer.new_channel("test-events.")
    for audience in audiences:
        await layer.group_add(audience, channel)
    return Audience(channel)


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """The actions run in asgiref's thread: close its connection afterwards, or
    PostgreSQL cannot drop the test database."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def people(db):
    return {
        "camille": make_user("camille", role=Role.COMMUNICATOR),
        "bruno": make_user("bruno"),
    }


async def test_a_post_goes_to_its_groups_audience_with_the_visibility(people):
    camille = people["camille"]
    group = await sync_to_async(group_create)(
        actor=camille, name="Jardins", kind="TOPIC", visibility="PRIVATE"
    )
    audience = await listening(events.group_feed(group.pk), events.ORG_FEED)
    # when
    post = await sync_to_async(post_create)(
        actor=camille, group_id=group.pk, body="Tonte"
    )
    # then
    assert await audience.next() == {
        "type": events.EVENT,
        "kind": "POST_CREATED",
        "post": post.pk,
        "group": group.pk,
        "visibility": "PRIVATE",
        "comment": None,
        "poll": None,
        "actor": camille.pk,
    }


async def test_comments_and_reactions_go_to_the_posts_audience(people):
    camille, bruno = people["camille"], people["bruno"]
    post = await sync_to_async(post_create)(actor=camille, group_id=None, body="Vœux")
    audience = await listening(events.ORG_FEED)
    # when
    comment = await sync_to_async(comment_add)(
        actor=bruno, post_id=post.pk, body="Merci"
    )
    await sync_to_async(reaction_set)(actor=bruno, kind="LOVE", comment_id=comment.pk)
    # then
    added, reacted = await audience.next(), await audience.next()
    assert (added["kind"], added["post"], added["comment"]) == (
        "COMMENT_ADDED",
        post.pk,
        comment.pk,
    )
    assert (reacted["kind"], reacted["comment"], reacted["actor"]) == (
        "REACTIONS_CHANGED",
        comment.pk,
        bruno.pk,
    )
    assert added["group"] is None


async def test_a_vote_names_no_one_and_hidden_results_send_nothing(people):
    camille, bruno = people["camille"], people["bruno"]

    def poll_post(hidden: bool) -> Post:
        spec = PollSpec(
            question="Quel jour ?",
            options=["Lundi", "Mardi"],
            is_anonymous=True,
            hide_results_until_closed=hidden,
        )
        return post_create(actor=camille, group_id=None, body="Sondage", poll=spec)

    hidden = await sync_to_async(poll_post)(True)
    shown = await sync_to_async(poll_post)(False)
    audience = await listening(events.ORG_FEED)

    def vote(post: Post) -> None:
        poll = post.poll
        poll_vote(actor=bruno, poll_id=poll.pk, option_ids=[poll.options.first().pk])

    # when
    await sync_to_async(vote)(hidden)
    await sync_to_async(vote)(shown)
    # then: only the shown poll's vote, without its voter
    message = await audience.next()
    assert (message["kind"], message["post"], message["actor"]) == (
        "POLL_UPDATED",
        shown.pk,
        None,
    )


async def test_a_rolled_back_or_refused_write_publishes_nothing(people):
    camille = people["camille"]
    audience = await listening(events.ORG_FEED)

    def rolled_back() -> None:
        from django.db import transaction

        with transaction.atomic():
            post_create(actor=camille, group_id=None, body="Brouillon")
            transaction.set_rollback(True)

    # when
    await sync_to_async(rolled_back)()
    with pytest.raises(DomainErrors):
        await sync_to_async(post_create)(actor=camille, group_id=None, body=" ")
    marker = await sync_to_async(post_create)(actor=camille, group_id=None, body="Ok")
    # then: the first event is the marker's
    assert (await audience.next())["post"] == marker.pk
    assert await sync_to_async(Post.objects.count)() == 1


async def test_membership_changes_tell_the_user_to_reread_rights(people):
    camille, bruno = people["camille"], people["bruno"]
    group = await sync_to_async(group_create)(
        actor=camille, name="Police", kind="TOPIC", visibility="SECRET"
    )
    audience = await listening(events.user_audience(bruno.pk))
    # when
    await sync_to_async(group_add_members)(
        actor=camille, group_id=group.pk, user_ids=[bruno.pk]
    )
    await sync_to_async(group_remove_member)(
        actor=camille, group_id=group.pk, user_id=bruno.pk
    )
    # then
    rights = {"type": events.RIGHTS, "user": bruno.pk, "credentials": False}
    assert await audience.next() == rights
    assert await audience.next() == rights


async def test_deleting_a_group_ends_it_for_its_members(people):
    camille, bruno = people["camille"], people["bruno"]
    group = await sync_to_async(group_create)(
        actor=camille, name="Fête", kind="SOCIAL", visibility="PUBLIC"
    )
    await sync_to_async(group_add_members)(
        actor=camille, group_id=group.pk, user_ids=[bruno.pk]
    )
    feed = await listening(events.group_feed(group.pk))
    user = await listening(events.user_audience(bruno.pk))
    # when
    await sync_to_async(group_delete)(actor=camille, group_id=group.pk)
    # then
    assert (await feed.next())["kind"] == "GROUP_DELETED"
    assert (await user.next())["type"] == events.RIGHTS


async def test_revoking_tokens_asks_sockets_to_check_credentials(people):
    bruno = people["bruno"]
    await sync_to_async(token_issue)(user=bruno)
    audience = await listening(events.user_audience(bruno.pk))
    # when
    await sync_to_async(token_revoke_all)(user=bruno)
    # then
    assert await audience.next() == {
        "type": events.RIGHTS,
        "user": bruno.pk,
        "credentials": True,
    }


async def test_a_deleted_post_still_names_its_audience(people):
    camille = people["camille"]
    post = await sync_to_async(post_create)(actor=camille, group_id=None, body="Oups")
    audience = await listening(events.ORG_FEED)
    # when
    await sync_to_async(post_delete)(actor=camille, post_id=post.pk)
    # then
    message = await audience.next()
    assert (message["kind"], message["post"], message["group"]) == (
        "POST_DELETED",
        post.pk,
        None,
    )


@pytest.fixture
def unreachable_channel_layer(settings):
    """A Redis channel layer on a port where nothing listens."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def test_a_write_succeeds_when_the_channel_layer_is_down(
    people, unreachable_channel_layer, caplog
):
    """Publishing fails softly: the post is written, the failure logged."""
    caplog.set_level(logging.WARNING, logger="parvis.events")
    # when
    post = await sync_to_async(post_create)(
        actor=people["camille"], group_id=None, body="Malgré tout"
    )
    # then
    assert await sync_to_async(Post.objects.filter(pk=post.pk).exists)()
    assert "live event POST_CREATED to feed.org not sent" in caplog.text


# --- The in-memory rules agree with the querysets ---------------------------------


def _readers_match(viewer, posts) -> None:
    from social.selectors.feed import feed_for

    rights = access.live_rights_of(viewer)
    readable = set(access.post_visible_to(viewer).values_list("pk", flat=True))
    in_feed = set(
        access.post_visible_to(viewer, feed_for(viewer)).values_list("pk", flat=True)
    )
    # The feed's own list holds only readable posts, before the rule too.
    assert set(feed_for(viewer).values_list("pk", flat=True)) == in_feed
    for post in posts:
        visibility = post.group.visibility if post.group_id else None
        where = (viewer.username, post.group and post.group.name)
        assert access.can_receive_post_event(rights, post.group_id, visibility) == (
            post.pk in readable
        ), where
        receives = access.can_receive_post_event(rights, post.group_id, visibility)
        assert (receives and access.in_live_feed(rights, post.group_id)) == (
            post.pk in in_feed
        ), where


async def test_live_rights_agree_with_post_visible_to(people):
    """For every kind of group and place in it (a pending request too), the
    in-memory decisions are those of `post_visible_to` and of the feed."""
    camille, bruno = people["camille"], people["bruno"]

    def setup_and_check() -> None:
        posts = [post_create(actor=camille, group_id=None, body="À tous")]
        for visibility in ("PUBLIC", "PRIVATE", "SECRET"):
            for joined in (True, False):
                group = group_create(
                    actor=camille,
                    name=f"{visibility} {joined}",
                    kind="TOPIC",
                    visibility=visibility,
                )
                if joined:
                    group_add_members(
                        actor=camille, group_id=group.pk, user_ids=[bruno.pk]
                    )
                posts.append(post_create(actor=camille, group_id=group.pk, body="x"))
        outsider = make_user("olga")
        admin = make_user("adele", role=Role.ADMIN)
        requester = make_user("paul")
        for group in Group.objects.filter(visibility="PRIVATE"):
            Membership.objects.create(
                group=group, user=requester, status=MembershipStatus.PENDING
            )
        for viewer in (camille, bruno, outsider, admin, requester):
            _readers_match(viewer, posts)
        # Nobody signed in has a feed, organisation-wide posts included.
        from social.selectors.feed import feed_for

        assert not feed_for(AnonymousUser()).exists()

    await sync_to_async(setup_and_check)()
    assert access.can_receive_post_event(None, None, None) is False


async def test_live_rights_agree_with_conversation_visible_to(people):
    """Participants now, and nobody else (organisation admins included)."""
    from social.actions.chat import conversation_leave, conversation_start

    camille, bruno = people["camille"], people["bruno"]

    def check() -> None:
        admin = make_user("adele", role=Role.ADMIN)
        direct = conversation_start(actor=camille, participant_ids=[bruno.pk])
        group = conversation_start(
            actor=camille, participant_ids=[bruno.pk, admin.pk], title="Fête"
        )
        conversation_leave(actor=bruno, conversation_id=group.conversation.pk)
        conversations = [direct.conversation, group.conversation]
        for viewer in (camille, bruno, admin, make_user("olga")):
            rights = access.live_rights_of(viewer)
            visible = set(
                access.conversation_visible_to(viewer).values_list("pk", flat=True)
            )
            for conversation in conversations:
                assert access.can_receive_chat_event(rights, conversation.pk) == (
                    conversation.pk in visible
                )

    await sync_to_async(check)()
    assert access.can_receive_chat_event(None, 1) is False


async def test_reacting_again_the_same_way_tells_no_one(people):
    camille, bruno = people["camille"], people["bruno"]
    post = await sync_to_async(post_create)(actor=camille, group_id=None, body="Vœux")
    audience = await listening(events.ORG_FEED)
    # when
    await sync_to_async(reaction_set)(actor=bruno, kind="LOVE", post_id=post.pk)
    await sync_to_async(reaction_set)(actor=bruno, kind="LOVE", post_id=post.pk)
    await sync_to_async(reaction_set)(actor=bruno, kind="BRAVO", post_id=post.pk)
    # then: the first and the change, not the repeat
    first, second = await audience.next(), await audience.next()
    assert (first["kind"], second["kind"]) == ("REACTIONS_CHANGED", "REACTIONS_CHANGED")
    marker = await sync_to_async(post_create)(actor=camille, group_id=None, body="Ok")
    assert (await audience.next())["post"] == marker.pk
