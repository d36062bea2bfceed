"""Management commands: the demo town hall (`seed_demo`) and `createsuperuser`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from social import access
from social.management.commands.seed_demo import DEMO_PASSWORD, SERVICES, SITES
from social.markdown import render_markdown
from social.models import (
    Comment,
    Conversation,
    ConversationKind,
    Department,
    Group,
    GroupKind,
    GroupRole,
    Membership,
    MembershipStatus,
    Message,
    Participant,
    Post,
    Reaction,
    Role,
    Site,
    User,
    Visibility,
)

SEEDED_MODELS = (
    User,
    Department,
    Site,
    Group,
    Membership,
    Post,
    Comment,
    Reaction,
    Conversation,
    Participant,
    Message,
)


def seed() -> str:
    """Run seed_demo and return what it printed."""
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestSeedDemo:
    def test_it_builds_a_town_hall_of_about_160_agents(self):
        """Ten departments, five sites, ~160 people, each in a department and site."""
        # when
        seed()
        # then
        assert Department.objects.count() == len(SERVICES) == 10
        assert Site.objects.count() == len(SITES) == 5
        assert 150 <= User.objects.count() <= 170
        assert not User.objects.filter(department=None).exists()
        assert not User.objects.filter(site=None).exists()
        assert not User.objects.filter(job_title="").exists()
        assert {"Espaces verts", "État civil", "Police municipale"} <= set(
            Department.objects.values_list("name", flat=True)
        )

    def test_field_agents_have_a_phone_and_no_email(self):
        """About half the agents have no email; everyone without one has a phone."""
        seed()
        total = User.objects.count()
        without_email = User.objects.filter(email="")
        assert 0.35 * total <= without_email.count() <= 0.65 * total
        assert not without_email.filter(phone="").exists()
        assert User.objects.exclude(email="").exists()

    def test_running_it_again_creates_nothing(self):
        """Idempotent: a second run adds no user, department, site, group,
        membership, post, comment or reaction."""
        # given
        seed()
        counts = [model.objects.count() for model in SEEDED_MODELS]
        # when
        output = seed()
        # then
        assert "0 account(s) created" in output
        assert (
            "0 group(s), 0 membership(s), 0 post(s), 0 comment(s), 0 reaction(s) "
            "created" in output
        )
        assert "Demo chat: 0 conversation(s), 0 message(s) created" in output
        assert counts == [model.objects.count() for model in SEEDED_MODELS]

    def test_every_run_builds_the_same_people(self):
        """Deterministic: the same names on every database."""
        seed()
        first = list(User.objects.order_by("username").values_list("username", "phone"))
        User.objects.all().delete()
        seed()
        again = list(User.objects.order_by("username").values_list("username", "phone"))
        assert first == again

    @pytest.mark.parametrize(
        ("username", "role"),
        [
            ("admin", Role.ADMIN),
            ("agathe.leroy", Role.COMMUNICATOR),
            ("gregoire.petit", Role.AGENT),
        ],
    )
    def test_the_documented_demo_accounts_sign_in(self, username, role):
        """admin, agathe.leroy and gregoire.petit sign in with the demo password."""
        # when
        output = seed()
        # then
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None
        assert user.role == role
        assert username in output
        assert DEMO_PASSWORD in output

    def test_admin_is_an_organisation_admin_and_django_superuser(self):
        """`admin` runs the organisation and the Django admin."""
        seed()
        admin = User.objects.get(username="admin")
        assert admin.is_org_admin
        assert (admin.is_staff, admin.is_superuser) == (True, True)
        assert not User.objects.filter(is_superuser=True).exclude(pk=admin.pk).exists()

    def test_names_are_searchable_without_accents(self):
        """Bulk-created rows get the same search text as `User.save()` gives."""
        seed()
        for user in User.objects.order_by("pk")[:40]:
            stored = user.search_text
            user.save()
            assert user.search_text == stored
        assert User.objects.filter(search_text__contains="gregoire petit").exists()

    def test_an_existing_phone_is_left_out_rather_than_failing(self):
        """A demo phone someone else has already is not given twice."""
        # given
        User.objects.create_user("someone", phone="0605060708")
        # when
        seed()
        # then
        assert User.objects.get(username="gregoire.petit").phone == ""


def active_memberships() -> dict[tuple[int, int], Membership]:
    """Every membership, keyed on (user id, group id)."""
    return {(m.user_id, m.group_id): m for m in Membership.objects.all()}


@pytest.mark.django_db
class TestSeedDemoContent:
    @pytest.mark.parametrize(
        ("slug", "name", "kind", "visibility"),
        [
            (
                "la-machine-a-cafe",
                "La Machine à café",
                GroupKind.SOCIAL,
                Visibility.PUBLIC,
            ),
            (
                "la-mairie-dans-la-marmite",
                "La Mairie dans la marmite",
                GroupKind.SOCIAL,
                Visibility.PUBLIC,
            ),
            (
                "un-jour-une-fleur",
                "Un jour, une fleur",
                GroupKind.SOCIAL,
                Visibility.PUBLIC,
            ),
            ("lettre-interne", "Lettre interne", GroupKind.TOPIC, Visibility.PUBLIC),
            (
                "fete-du-personnel",
                "Fête du personnel",
                GroupKind.PROJECT,
                Visibility.PRIVATE,
            ),
            (
                "comite-de-direction",
                "Comité de direction",
                GroupKind.TOPIC,
                Visibility.SECRET,
            ),
        ],
    )
    def test_it_builds_the_named_groups(self, slug, name, kind, visibility):
        """The town hall's groups exist with their kind and visibility, and posts."""
        # when
        seed()
        # then
        group = Group.objects.get(slug=slug)
        assert (group.name, group.kind, group.visibility) == (name, kind, visibility)
        assert group.posts.exists()

    def test_every_department_has_a_private_group_of_its_people(self):
        """One DEPARTMENT group per department, its agents as members, its head
        as the one owner."""
        # when
        seed()
        # then
        for department in Department.objects.all():
            group = Group.objects.get(kind=GroupKind.DEPARTMENT, department=department)
            assert group.visibility == Visibility.PRIVATE
            members = set(
                group.memberships.filter(status=MembershipStatus.ACTIVE).values_list(
                    "user_id", flat=True
                )
            )
            assert members == set(department.members.values_list("pk", flat=True))
            owner = group.memberships.get(role=GroupRole.OWNER).user
            assert owner.department == department
        assert Group.objects.filter(kind=GroupKind.DEPARTMENT).count() == len(SERVICES)

    def test_every_group_has_one_owner_and_pending_requests_are_private(self):
        """Each group has exactly one active owner; requests wait in private groups."""
        seed()
        for group in Group.objects.all():
            owners = group.memberships.filter(role=GroupRole.OWNER)
            assert [o.status for o in owners] == [MembershipStatus.ACTIVE]
        pending = Membership.objects.filter(status=MembershipStatus.PENDING)
        assert pending.exists()
        assert set(pending.values_list("group__visibility", flat=True)) == {
            Visibility.PRIVATE
        }

    def test_the_secret_group_has_a_few_members_including_admin(self):
        """The secret group has members, the organisation admin among them, and
        not the demo agent."""
        seed()
        secret = Group.objects.get(visibility=Visibility.SECRET)
        members = set(secret.memberships.values_list("user__username", flat=True))
        assert 3 <= len(members) <= 10
        assert "admin" in members
        assert "gregoire.petit" not in members

    def test_memberships_spread_over_the_agents(self):
        """Most agents are in a group besides their department's; the public
        groups have tens of members each."""
        seed()
        social = Membership.objects.exclude(group__kind=GroupKind.DEPARTMENT)
        in_social = social.values("user_id").distinct().count()
        assert in_social >= 0.6 * User.objects.count()
        for group in Group.objects.filter(visibility=Visibility.PUBLIC):
            assert group.memberships.count() >= 20

    def test_every_post_author_may_post_there(self):
        """Group posts by active members; organisation-wide posts, announcements
        and their pins by communicators or admins; group pins by group admins."""
        seed()
        memberships = active_memberships()
        posts = Post.objects.select_related("author", "group")
        assert posts.count() >= 50
        for post in posts:
            membership = memberships.get((post.author_id, post.group_id))
            if post.group is None:
                assert access.can_publish_org_wide(post.author)
            else:
                assert access.can_post_in_group(post.author, membership)
            if post.is_announcement:
                assert access.can_publish_org_wide(post.author)
            if post.is_pinned:
                assert access.can_pin_post(post.author, post, membership)
        pinned = posts.filter(group=None, is_pinned=True)
        assert [p.author.username for p in pinned] == ["agathe.leroy"]
        assert posts.filter(group=None, author__username="agathe.leroy").count() >= 5

    def test_comments_and_reactions_come_from_readers(self):
        """Whoever comments or reacts reads the post; replies are one level deep."""
        seed()
        memberships = active_memberships()

        def reads(user: User, post: Post) -> bool:
            if post.group is None:
                return access.is_signed_in(user)
            membership = memberships.get((user.pk, post.group_id))
            return access.can_read_group_content(user, post.group, membership)

        comments = Comment.objects.select_related("author", "post__group", "parent")
        assert comments.count() >= 100
        assert comments.exclude(parent=None).exists()
        for comment in comments:
            assert reads(comment.author, comment.post)
            if comment.parent is not None:
                assert comment.parent.parent_id is None
                assert comment.parent.post_id == comment.post_id
        reactions = Reaction.objects.select_related(
            "user", "post__group", "comment__post__group"
        )
        assert reactions.exclude(comment=None).exists()
        for reaction in reactions:
            post = reaction.post or reaction.comment.post
            assert reads(reaction.user, post)

    def test_bodies_are_rendered_to_html(self):
        """Every post and comment has the HTML of its Markdown body."""
        seed()
        for item in [*Post.objects.all(), *Comment.objects.all()]:
            assert item.body_html
            assert item.body_html == render_markdown(item.body)
        assert Post.objects.filter(body_html__contains="<h2>").exists()
        assert Post.objects.filter(body_html__contains="<li>").exists()

    def test_content_spreads_over_the_last_four_weeks(self):
        """Posts are dated over the last four weeks, comments and reactions after
        what they answer, and nothing in the future."""
        seed()
        now = timezone.now()
        dates = {p.created_at.date() for p in Post.objects.all()}
        assert len(dates) >= 15
        assert min(dates) >= (now - timedelta(days=29)).date()
        for comment in Comment.objects.select_related("post", "parent"):
            assert comment.post.created_at < comment.created_at < now
            if comment.parent is not None:
                assert comment.parent.created_at < comment.created_at
        for reaction in Reaction.objects.select_related("post", "comment"):
            assert (reaction.post or reaction.comment).created_at < reaction.created_at
            assert reaction.created_at < now

    def test_every_run_says_the_same_things(self):
        """Deterministic: the same groups, members, posts and comments every time."""

        def snapshot() -> tuple:
            return (
                sorted(
                    Membership.objects.values_list(
                        "group__slug", "user__username", "role", "status"
                    )
                ),
                sorted(
                    Post.objects.values_list(
                        "group__slug", "author__username", "body", "is_pinned"
                    ),
                    key=str,
                ),
                sorted(
                    Comment.objects.values_list(
                        "post__body", "author__username", "body", "parent__body"
                    ),
                    key=str,
                ),
                sorted(
                    Reaction.objects.values_list(
                        "user__username", "post__body", "comment__body", "kind"
                    ),
                    key=str,
                ),
                sorted(
                    Message.objects.values_list(
                        "conversation__title", "author__username", "sequence", "body"
                    ),
                    key=str,
                ),
            )

        seed()
        first = snapshot()
        Group.objects.all().delete()
        User.objects.all().delete()
        seed()
        assert snapshot() == first

    def test_an_existing_group_is_left_as_it_is(self):
        """A group whose slug is taken keeps its members and gets no posts."""
        # given
        Group.objects.create(
            name="Machine à café (ancienne)",
            slug="la-machine-a-cafe",
            kind=GroupKind.TOPIC,
            visibility=Visibility.PRIVATE,
        )
        # when
        seed()
        # then
        group = Group.objects.get(slug="la-machine-a-cafe")
        assert group.name == "Machine à café (ancienne)"
        assert not group.memberships.exists()
        assert not group.posts.exists()

    def test_it_starts_a_few_conversations_within_the_rules(self):
        """Direct and group conversations between colleagues, numbered messages
        by participants, Markdown rendered, read receipts up to what exists; the
        demo admin has something unread, the gardener a conversation."""
        seed()
        conversations = Conversation.objects.all()
        assert 4 <= conversations.count() <= 10
        kinds = set(conversations.values_list("kind", flat=True))
        assert kinds == {ConversationKind.DIRECT, ConversationKind.GROUP}
        for conversation in conversations:
            people = set(conversation.participants.values_list("user_id", flat=True))
            messages = list(conversation.messages.order_by("sequence"))
            assert len(people) >= 2
            assert [m.sequence for m in messages] == list(range(1, len(messages) + 1))
            assert conversation.last_sequence == len(messages)
            assert conversation.updated_at == messages[-1].created_at
            assert {m.author_id for m in messages} <= people
            assert conversation.created_by_id in people
            for message in messages:
                assert message.body_html == render_markdown(message.body)
                assert message.created_at < timezone.now()
            for participant in conversation.participants.all():
                assert participant.last_read_sequence <= len(messages)
            if conversation.kind == ConversationKind.DIRECT:
                assert len(people) == 2
                assert conversation.direct_key == ":".join(map(str, sorted(people)))
        admin = User.objects.get(username="admin")
        unread = [
            participant
            for participant in Participant.objects.filter(user=admin)
            if participant.last_read_sequence < participant.conversation.last_sequence
        ]
        assert unread
        assert Participant.objects.filter(user__username="gregoire.petit").exists()

    def test_demo_messages_are_found_by_their_participants(self):
        """The index is rebuilt with the messages: found by participants only."""
        from social import search

        seed()
        gardener = User.objects.get(username="gregoire.petit")
        admin = User.objects.get(username="admin")
        assert search.search(gardener, "tilleul").total == 1
        assert search.search(admin, "tilleul").total == 0

    def test_it_prints_a_summary_of_the_content(self):
        """One line counts the groups, posts, comments and reactions created."""
        output = seed()
        line = next(x for x in output.splitlines() if x.startswith("Demo content:"))
        assert f"{Group.objects.count()} group(s)" in line
        assert f"{Post.objects.count()} post(s)" in line
        assert f"{Comment.objects.count()} comment(s)" in line
        assert f"{Reaction.objects.count()} reaction(s)" in line


@pytest.mark.django_db
def test_createsuperuser_without_email_makes_an_admin(monkeypatch):
    """`createsuperuser` needs no email and gives the ADMIN role."""
    # given
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-superuser-password")
    # when
    call_command(
        "createsuperuser", interactive=False, username="maire", stdout=StringIO()
    )
    # then
    user = User.objects.get(username="maire")
    assert (user.role, user.email, user.display_name) == (Role.ADMIN, "", "maire")
    assert user.is_org_admin
    assert user.check_password("a-long-superuser-password")


def test_seed_demo_refuses_to_run_with_debug_off(db, settings):
    """The demo password is published: a production server (DEBUG off) is refused."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()
