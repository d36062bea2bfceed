"""Every visibility rule a type applies (social/access.py) filters the queryset
it is given: with one, it answers the rows of that queryset it answers without
one, for every kind of viewer, and keeps the queryset's own conditions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from social import access
from social.models import (
    Comment,
    Conversation,
    Department,
    Group,
    Invitation,
    Membership,
    Message,
    Participant,
    Poll,
    PollOption,
    Post,
    Role,
    Site,
    User,
)
from tests.conftest import make_user

RULES = [
    (access.user_visible_to, User),
    (access.department_visible_to, Department),
    (access.site_visible_to, Site),
    (access.invitation_visible_to, Invitation),
    (access.group_visible_to, Group),
    (access.post_visible_to, Post),
    (access.comment_visible_to, Comment),
    (access.membership_visible_to, Membership),
    (access.poll_visible_to, Poll),
    (access.poll_option_visible_to, PollOption),
    (access.conversation_visible_to, Conversation),
    (access.message_visible_to, Message),
]


@pytest.fixture
def viewers(db):
    """The demo town hall, an invitation, a deactivated agent, and a viewer of
    each kind (the member takes part in a conversation)."""
    call_command("seed_demo", force=True, verbosity=0)
    member = (
        Participant.objects.filter(
            user__role=Role.AGENT, user__memberships__isnull=False
        )
        .first()
        .user
    )
    admin = make_user("orgadmin", role=Role.ADMIN)
    # The first user by id: among the rows the test gives the rules.
    gone = User.objects.exclude(pk=member.pk).order_by("pk").first()
    User.objects.filter(pk=gone.pk).update(is_active=False)
    for n in range(2):
        Invitation.objects.create(
            display_name=f"Invitée {n}",
            phone=f"+3360000000{n}",
            code_hash=f"{n}" * 64,
            created_by=admin,
            expires_at=timezone.now() + timedelta(days=7),
        )
    return {
        "anonymous": AnonymousUser(),
        "outsider": make_user("outsider"),
        "member": member,
        "organisation admin": admin,
    }


@pytest.mark.parametrize(
    ("rule", "model"), RULES, ids=[rule.__name__ for rule, _ in RULES]
)
@pytest.mark.parametrize(
    "viewer", ["anonymous", "outsider", "member", "organisation admin"]
)
def test_a_rule_given_a_queryset_filters_that_queryset(viewers, rule, model, viewer):
    # given: every other row, by a condition of the queryset's own
    rows = list(model.objects.order_by("pk").values_list("pk", flat=True))
    assert len(rows) > 1, f"the demo has no {model.__name__}s"
    half = rows[::2]
    given = model.objects.filter(pk__in=half)
    seen = viewers[viewer]
    # when
    filtered = set(rule(seen, given).values_list("pk", flat=True))
    # then
    everything = set(rule(seen).values_list("pk", flat=True))
    assert filtered == everything & set(half)
    # The cases are not empty: the rows of the conversations one takes part
    # in, the rest for an organisation administrator.
    if viewer == (
        "member" if model in (Conversation, Message) else "organisation admin"
    ):
        assert filtered
    if model is User and viewer == "member":
        assert filtered < set(half)  # the deactivated colleague is left out
