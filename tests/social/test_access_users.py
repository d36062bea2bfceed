"""The permission rules on people and the organisation (social/access.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from social import access
from social.models import Department, Role, Site, User
from tests.conftest import make_user


@pytest.fixture
def agent(db) -> User:
    return make_user("agathe")


@pytest.fixture
def colleague(db) -> User:
    return make_user("gregoire", phone="0612345678")


@pytest.fixture
def gone(db) -> User:
    return make_user("parti", is_active=False)


@pytest.fixture
def admin(db) -> User:
    return make_user("camille", role=Role.ADMIN)


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", password="a-long-test-password")


class TestUserVisibleTo:
    def test_nobody_for_anonymous(self, agent, colleague):
        """Anonymous viewers see no one."""
        assert not access.user_visible_to(AnonymousUser()).exists()
        assert not access.user_visible_to(None).exists()

    def test_active_users_for_agents(self, agent, colleague, gone):
        """Agents see active users only."""
        assert set(access.user_visible_to(agent)) == {agent, colleague}

    @pytest.mark.parametrize("who", ["admin", "root"])
    def test_everyone_for_admins(self, request, agent, colleague, gone, who):
        """Admins (by role or as superusers) also see deactivated users."""
        viewer = request.getfixturevalue(who)
        assert gone in set(access.user_visible_to(viewer))

    def test_nobody_for_a_deactivated_admin(self, admin, colleague):
        """A deactivated admin is no longer signed in, so sees nothing."""
        admin.is_active = False
        assert not access.user_visible_to(admin).exists()


class TestCanSeeContactDetails:
    def test_the_user_themself_and_admins_only(self, agent, colleague, admin, root):
        """Email and phone: the user, admins and superusers; not other agents."""
        assert access.can_see_contact_details(colleague, colleague)
        assert access.can_see_contact_details(admin, colleague)
        assert access.can_see_contact_details(root, colleague)
        assert not access.can_see_contact_details(agent, colleague)
        assert not access.can_see_contact_details(AnonymousUser(), colleague)

    def test_communicators_do_not_see_contact_details(self, colleague):
        """Publishing announcements gives no access to phones."""
        communicator = make_user("com", role=Role.COMMUNICATOR)
        assert not access.can_see_contact_details(communicator, colleague)

    def test_no_query_is_made(self, agent, colleague, django_assert_num_queries):
        """The rule reads the two users only: a page of users costs nothing more."""
        with django_assert_num_queries(0):
            access.can_see_contact_details(agent, colleague)


class TestOrganisation:
    def test_departments_and_sites_for_signed_in_users_only(self, agent):
        """Structure is visible once signed in."""
        Department.objects.create(name="Culture", slug="culture")
        Site.objects.create(name="Médiathèque")
        assert access.department_visible_to(agent).count() == 1
        assert access.site_visible_to(agent).count() == 1
        assert not access.department_visible_to(AnonymousUser()).exists()
        assert not access.site_visible_to(AnonymousUser()).exists()
        assert access.can_see_organization(agent)
        assert not access.can_see_organization(AnonymousUser())


class TestCanManageUser:
    def test_admins_manage_others_but_not_themselves(self, admin, colleague):
        """An admin manages a colleague, never themself."""
        assert access.can_manage_user(admin, colleague)
        assert not access.can_manage_user(admin, admin)

    def test_agents_and_communicators_manage_nobody(self, agent, colleague):
        """Only admins manage users."""
        communicator = make_user("com", role=Role.COMMUNICATOR)
        assert not access.can_manage_users(agent)
        assert not access.can_manage_users(communicator)
        assert not access.can_manage_user(communicator, colleague)

    def test_superusers_are_managed_by_superusers_only(self, admin, root):
        """An admin cannot lock the operator out; a superuser manages admins."""
        assert not access.can_manage_user(admin, root)
        assert access.can_manage_user(root, admin)


def test_can_see_user_agrees_with_user_visible_to(agent, colleague, gone, admin, root):
    """The one-user predicate live events use takes the queryset's decision."""
    people = [agent, colleague, gone, admin, root]
    for viewer in [AnonymousUser(), None, *people]:
        visible = set(access.user_visible_to(viewer).values_list("pk", flat=True))
        for user in people:
            assert access.can_see_user(viewer, user) == (user.pk in visible)
