"""Management commands: the demo town hall (`seed_demo`) and `createsuperuser`."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from social.management.commands.seed_demo import DEMO_PASSWORD, SERVICES, SITES
from social.models import Department, Role, Site, User


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
        """Idempotent: a second run adds no user, department or site."""
        # given
        seed()
        counts = (
            User.objects.count(),
            Department.objects.count(),
            Site.objects.count(),
        )
        # when
        output = seed()
        # then
        assert "0 account(s) created" in output
        assert counts == (
            User.objects.count(),
            Department.objects.count(),
            Site.objects.count(),
        )

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
