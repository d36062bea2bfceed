"""The `User` type, `updateProfile`, and the administration of users."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from strawberry.relay import to_base64

from social.actions.auth import token_issue
from social.actions.users import _conflict_of
from social.models import AccessToken, Department, Invitation, Role, Site, User
from tests.conftest import GraphQLClient, gid, make_user, signed_in

USER_FIELDS = """
fragment UserFields on User {
  id username displayName firstName lastName jobTitle avatarUrl role isActive
  lastSeenAt email phone
  department { id name slug }
  site { id name address }
}
"""
NODE = (
    USER_FIELDS
    + """
query Node($id: ID!) { node(id: $id) { ...UserFields } }
"""
)
VIEWER = USER_FIELDS + "query { viewer { ...UserFields } }"
USERS = (
    USER_FIELDS
    + """
query Users($query: String) {
  users(query: $query, first: 100) { edges { node { ...UserFields } } }
}
"""
)
UPDATE_PROFILE = """
mutation Update($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    user {
      id displayName firstName lastName jobTitle phone email role
      department { name } site { name }
    }
    errors { field code message }
  }
}
"""
DEACTIVATE = """
mutation Deactivate($input: DeactivateUserInput!) {
  deactivateUser(input: $input) {
    user { id username isActive }
    errors { field code message }
  }
}
"""
REACTIVATE = """
mutation Reactivate($input: ReactivateUserInput!) {
  reactivateUser(input: $input) {
    user { id username isActive }
    errors { field code message }
  }
}
"""
SET_ROLE = """
mutation SetRole($input: SetUserRoleInput!) {
  setUserRole(input: $input) {
    user { id username role }
    errors { field code message }
  }
}
"""


@pytest.fixture
def parks(db) -> Department:
    return Department.objects.create(name="Espaces verts", slug="espaces-verts")


@pytest.fixture
def greenhouse(db) -> Site:
    return Site.objects.create(name="Serres municipales", address="2 rue des Serres")


@pytest.fixture
def colleague(parks, greenhouse) -> User:
    return make_user(
        "gregoire",
        first_name="Grégoire",
        last_name="Petit",
        job_title="Jardinier",
        department=parks,
        site=greenhouse,
        phone="0612345678",
        email="gregoire.petit@example.org",
    )


@pytest.fixture
def admin_user(db) -> User:
    return make_user("camille", display_name="Camille Martin", role=Role.ADMIN)


@pytest.fixture
def admin(admin_user) -> GraphQLClient:
    return signed_in(admin_user)


class TestUserType:
    def test_a_colleague_shows_every_public_field(self, agent, colleague):
        """Agents see a colleague's profile, department and site."""
        # when
        user = agent.data(NODE, {"id": gid(colleague)})["node"]
        # then
        assert user == {
            "id": gid(colleague),
            "username": "gregoire",
            "displayName": "Grégoire Petit",
            "firstName": "Grégoire",
            "lastName": "Petit",
            "jobTitle": "Jardinier",
            "avatarUrl": None,
            "role": "AGENT",
            "isActive": True,
            "lastSeenAt": None,
            "email": None,
            "phone": None,
            "department": {
                "id": gid(colleague.department),
                "name": "Espaces verts",
                "slug": "espaces-verts",
            },
            "site": {
                "id": gid(colleague.site),
                "name": "Serres municipales",
                "address": "2 rue des Serres",
            },
        }

    def test_anonymous_sees_no_user_at_all(self, anonymous, colleague):
        """Nobody signed in: node is null, the directory is empty, viewer is null."""
        assert anonymous.data(NODE, {"id": gid(colleague)}) == {"node": None}
        assert anonymous.data(USERS) == {"users": {"edges": []}}
        assert anonymous.data(VIEWER) == {"viewer": None}

    def test_an_agent_sees_no_contact_details_of_a_colleague(self, agent, colleague):
        """Email and phone of others are null for agents, through node and users."""
        # when
        by_node = agent.data(NODE, {"id": gid(colleague)})["node"]
        [by_directory] = [
            edge["node"]
            for edge in agent.data(USERS)["users"]["edges"]
            if edge["node"]["username"] == "gregoire"
        ]
        # then
        for user in (by_node, by_directory):
            assert (user["email"], user["phone"]) == (None, None)

    def test_the_user_sees_their_own_contact_details(self, colleague):
        """Through viewer, node and users, a user sees their own email and phone."""
        # given
        client = signed_in(colleague)
        # when
        by_viewer = client.data(VIEWER)["viewer"]
        by_node = client.data(NODE, {"id": gid(colleague)})["node"]
        [by_directory] = [edge["node"] for edge in client.data(USERS)["users"]["edges"]]
        # then
        for user in (by_viewer, by_node, by_directory):
            assert user["email"] == "gregoire.petit@example.org"
            assert user["phone"] == "0612345678"

    def test_an_admin_sees_everyone_s_contact_details(self, admin, colleague):
        """Organisation admins see the email and phone of others."""
        # when
        by_node = admin.data(NODE, {"id": gid(colleague)})["node"]
        [by_directory] = [
            edge["node"]
            for edge in admin.data(USERS, {"query": "petit"})["users"]["edges"]
        ]
        # then
        for user in (by_node, by_directory):
            assert user["email"] == "gregoire.petit@example.org"
            assert user["phone"] == "0612345678"

    def test_missing_contact_details_are_null_not_empty(self, admin, agent_user):
        """A user without email or phone shows null, even to an admin."""
        user = admin.data(NODE, {"id": gid(agent_user)})["node"]
        assert (user["email"], user["phone"]) == (None, None)

    def test_role_and_last_seen_are_shown(self, agent, admin_user):
        """`role` is the organisation-wide role; `lastSeenAt` an ISO date-time."""
        # given
        admin_user.last_seen_at = "2026-03-01T08:30:00+01:00"
        admin_user.save()
        # when
        user = agent.data(NODE, {"id": gid(admin_user)})["node"]
        # then
        assert user["role"] == "ADMIN"
        assert user["lastSeenAt"].startswith("2026-03-01T07:30:00")


class TestUpdateProfile:
    def test_the_user_changes_every_field_of_their_profile(
        self, agent, agent_user, parks, greenhouse
    ):
        """Names, job title, phone (normalised), email, department and site."""
        # when
        data = agent.data(
            UPDATE_PROFILE,
            {
                "input": {
                    "displayName": "Agathe L.",
                    "firstName": "Agathe",
                    "lastName": "Le Roy",
                    "jobTitle": "Jardinière",
                    "phone": "06 98.76-54 32",
                    "email": "Agathe@Example.ORG",
                    "departmentId": gid(parks),
                    "siteId": gid(greenhouse),
                }
            },
        )["updateProfile"]
        # then
        assert data["errors"] == []
        assert data["user"] == {
            "id": gid(agent_user),
            "displayName": "Agathe L.",
            "firstName": "Agathe",
            "lastName": "Le Roy",
            "jobTitle": "Jardinière",
            "phone": "0698765432",
            "email": "Agathe@example.org",
            "role": "AGENT",
            "department": {"name": "Espaces verts"},
            "site": {"name": "Serres municipales"},
        }
        agent_user.refresh_from_db()
        assert agent_user.search_text == "agathe l. agathe le roy agathe"

    def test_fields_left_out_stay_and_empty_or_null_clears(
        self, colleague, parks, greenhouse
    ):
        """Left out: unchanged; "" clears a text field; null removes a department."""
        # given
        client = signed_in(colleague)
        # when
        data = client.data(
            UPDATE_PROFILE,
            {"input": {"email": "", "jobTitle": "", "departmentId": None}},
        )["updateProfile"]
        # then
        assert data["errors"] == []
        user = data["user"]
        assert (user["email"], user["jobTitle"], user["department"]) == (None, "", None)
        assert (user["phone"], user["site"]) == (
            "0612345678",
            {"name": greenhouse.name},
        )

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            ("phone", "not a phone", "INVALID"),
            ("email", "not-an-email", "INVALID"),
            ("email", "a" * 250 + "@x.fr", "TOO_LONG"),
            ("firstName", "x" * 151, "TOO_LONG"),
            ("jobTitle", "x" * 151, "TOO_LONG"),
            ("displayName", " ", "REQUIRED"),
        ],
    )
    def test_bad_values_are_refused_with_a_code(
        self, agent, agent_user, field, value, code
    ):
        """Each invalid field gets a coded error naming it; nothing changes."""
        # when
        data = agent.data(UPDATE_PROFILE, {"input": {field: value}})["updateProfile"]
        # then
        assert data["user"] is None
        assert [(e["field"], e["code"]) for e in data["errors"]] == [(field, code)]
        agent_user.refresh_from_db()
        assert (agent_user.phone, agent_user.email) == ("", "")

    def test_every_bad_field_is_reported_at_once(self, agent):
        """Several refused fields come back together, so a form shows them all."""
        data = agent.data(
            UPDATE_PROFILE,
            {"input": {"phone": "?", "email": "?", "lastName": "x" * 200}},
        )["updateProfile"]
        assert sorted(e["field"] for e in data["errors"]) == [
            "email",
            "lastName",
            "phone",
        ]

    @pytest.mark.parametrize(
        ("field", "value"),
        [("phone", "06 12 34 56 78"), ("email", "GREGOIRE.PETIT@example.org")],
    )
    def test_a_phone_or_email_of_someone_else_is_a_conflict(
        self, agent, agent_user, colleague, field, value
    ):
        """A phone (once normalised) or email (any case) in use is a CONFLICT."""
        # when
        data = agent.data(UPDATE_PROFILE, {"input": {field: value}})["updateProfile"]
        # then
        assert [(e["field"], e["code"]) for e in data["errors"]] == [
            (field, "CONFLICT")
        ]
        agent_user.refresh_from_db()
        assert getattr(agent_user, field) == ""

    def test_the_user_may_keep_their_own_phone_and_email(self, colleague):
        """Sending one's own phone or email again is no conflict."""
        client = signed_in(colleague)
        data = client.data(
            UPDATE_PROFILE,
            {"input": {"phone": "06 12 34 56 78", "email": colleague.email}},
        )["updateProfile"]
        assert data["errors"] == []

    def test_a_lost_race_on_a_unique_field_becomes_a_conflict(self, colleague):
        """The database's unique constraints are read back as CONFLICT errors."""
        # given two writes that passed the checks at the same time
        for field, value in (("phone", colleague.phone), ("email", colleague.email)):
            duplicate = User(username=f"dup-{field}", **{field: value.upper()})
            # when
            with pytest.raises(IntegrityError) as raised, transaction.atomic():
                duplicate.save()
            # then
            error = _conflict_of(raised.value)
            assert (error.code, error.field) == ("CONFLICT", field)

    @pytest.mark.parametrize("field", ["departmentId", "siteId"])
    def test_an_unknown_or_mistyped_department_or_site_is_not_found(
        self, agent, agent_user, field
    ):
        """A missing object, or the ID of another type, is NOT_FOUND."""
        for value in (to_base64(field[:-2].capitalize(), 999), gid(agent_user)):
            data = agent.data(UPDATE_PROFILE, {"input": {field: value}})
            errors = data["updateProfile"]["errors"]
            assert [(e["field"], e["code"]) for e in errors] == [(field, "NOT_FOUND")]

    def test_the_role_is_not_part_of_the_profile(self, agent):
        """An agent cannot promote themselves: `role` is no input field."""
        body = agent.execute(UPDATE_PROFILE, {"input": {"role": "ADMIN"}})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestDeactivateUser:
    def test_anonymous_is_unauthenticated(self, anonymous, colleague):
        """Without credentials the mutation is refused at the top level."""
        body = anonymous.execute(DEACTIVATE, {"input": {"userId": gid(colleague)}})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    @pytest.mark.parametrize("role", [Role.AGENT, Role.COMMUNICATOR])
    def test_non_admins_are_forbidden(self, colleague, role):
        """Agents and communicators may not deactivate anyone."""
        # given
        client = signed_in(make_user("someone", role=role))
        # when
        data = client.data(DEACTIVATE, {"input": {"userId": gid(colleague)}})
        # then
        assert data["deactivateUser"]["user"] is None
        assert [e["code"] for e in data["deactivateUser"]["errors"]] == ["FORBIDDEN"]
        colleague.refresh_from_db()
        assert colleague.is_active

    def test_an_admin_deactivates_a_user_and_their_tokens_are_revoked(
        self, admin, colleague, agent_user
    ):
        """Every token of the user is revoked at once; others' tokens are not."""
        # given
        token_issue(user=colleague, name="phone")
        token_issue(user=colleague, name="tablet")
        token_issue(user=agent_user, name="phone")
        # when
        data = admin.data(DEACTIVATE, {"input": {"userId": gid(colleague)}})
        # then
        assert data["deactivateUser"] == {
            "user": {"id": gid(colleague), "username": "gregoire", "isActive": False},
            "errors": [],
        }
        colleague.refresh_from_db()
        assert colleague.is_active is False
        assert not AccessToken.objects.filter(
            user=colleague, revoked_at__isnull=True
        ).exists()
        assert AccessToken.objects.filter(
            user=agent_user, revoked_at__isnull=True
        ).exists()

    def test_the_session_of_a_deactivated_user_stops_working(self, admin, colleague):
        """The browser of a deactivated user is anonymous on its next request."""
        # given
        their_browser = signed_in(colleague)
        assert their_browser.data(VIEWER)["viewer"]["username"] == "gregoire"
        # when
        admin.data(DEACTIVATE, {"input": {"userId": gid(colleague)}})
        # then
        assert their_browser.data(VIEWER) == {"viewer": None}
        assert their_browser.data(USERS) == {"users": {"edges": []}}

    def test_the_tokens_of_a_deactivated_user_stop_working(self, admin, colleague):
        """A phone signed in with a bearer token is signed out at once."""
        # given
        phone = GraphQLClient(Client(), token=token_issue(user=colleague, name="phone"))
        assert phone.data(VIEWER)["viewer"]["username"] == "gregoire"
        # when
        admin.data(DEACTIVATE, {"input": {"userId": gid(colleague)}})
        # then
        body = phone.post(VIEWER).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    def test_an_admin_cannot_deactivate_themselves(self, admin, admin_user):
        """Self-deactivation is INVALID, so an organisation keeps its admin."""
        data = admin.data(DEACTIVATE, {"input": {"userId": gid(admin_user)}})
        errors = data["deactivateUser"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("userId", "INVALID")]
        admin_user.refresh_from_db()
        assert admin_user.is_active

    def test_an_unknown_or_mistyped_user_is_not_found(self, admin, parks):
        """A missing user, or the ID of another type, is NOT_FOUND."""
        for user_id in (to_base64("User", 999_999), gid(parks)):
            data = admin.data(DEACTIVATE, {"input": {"userId": user_id}})
            errors = data["deactivateUser"]["errors"]
            assert [(e["field"], e["code"]) for e in errors] == [
                ("userId", "NOT_FOUND")
            ]

    def test_an_admin_cannot_deactivate_a_superuser(self, admin):
        """A superuser (the operator) is managed by superusers only."""
        root = User.objects.create_superuser("root", password="x-long-password")
        data = admin.data(DEACTIVATE, {"input": {"userId": gid(root)}})
        assert [e["code"] for e in data["deactivateUser"]["errors"]] == ["FORBIDDEN"]

    def test_a_superuser_deactivates_an_admin(self, admin_user):
        """Superusers manage admins like anyone else."""
        root = User.objects.create_superuser("root", password="x-long-password")
        data = signed_in(root).data(DEACTIVATE, {"input": {"userId": gid(admin_user)}})
        assert data["deactivateUser"]["errors"] == []


class TestReactivateUser:
    @pytest.fixture
    def gone(self, colleague) -> User:
        colleague.is_active = False
        colleague.save()
        return colleague

    def test_anonymous_is_unauthenticated(self, anonymous, gone):
        """Without credentials the mutation is refused at the top level."""
        body = anonymous.execute(REACTIVATE, {"input": {"userId": gid(gone)}})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    def test_an_agent_is_forbidden_and_cannot_tell_the_user_exists(self, agent, gone):
        """Agents get FORBIDDEN; the deactivated user stays invisible to them."""
        data = agent.data(REACTIVATE, {"input": {"userId": gid(gone)}})
        assert [e["code"] for e in data["reactivateUser"]["errors"]] == ["FORBIDDEN"]
        assert agent.data(NODE, {"id": gid(gone)}) == {"node": None}

    def test_an_admin_reactivates_a_user(self, admin, agent, gone):
        """Reactivated, the user is visible again and may sign in."""
        # given
        token_issue(user=gone, name="phone")
        admin.data(DEACTIVATE, {"input": {"userId": gid(gone)}})
        # when
        data = admin.data(REACTIVATE, {"input": {"userId": gid(gone)}})
        # then
        assert data["reactivateUser"] == {
            "user": {"id": gid(gone), "username": "gregoire", "isActive": True},
            "errors": [],
        }
        assert agent.data(NODE, {"id": gid(gone)})["node"]["isActive"] is True
        # old devices sign in again: their tokens stay revoked
        assert not AccessToken.objects.filter(
            user=gone, revoked_at__isnull=True
        ).exists()

    def test_an_admin_cannot_reactivate_themselves(self, admin, admin_user):
        """Acting on oneself is INVALID."""
        data = admin.data(REACTIVATE, {"input": {"userId": gid(admin_user)}})
        assert [e["code"] for e in data["reactivateUser"]["errors"]] == ["INVALID"]


class TestSetUserRole:
    def test_anonymous_is_unauthenticated(self, anonymous, colleague):
        """Without credentials the mutation is refused at the top level."""
        body = anonymous.execute(
            SET_ROLE, {"input": {"userId": gid(colleague), "role": "ADMIN"}}
        )
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    def test_an_agent_cannot_promote_anyone(self, agent, agent_user, colleague):
        """Agents get FORBIDDEN, for others and for themselves."""
        for user in (colleague, agent_user):
            data = agent.data(
                SET_ROLE, {"input": {"userId": gid(user), "role": "ADMIN"}}
            )
            assert [e["code"] for e in data["setUserRole"]["errors"]] == ["FORBIDDEN"]
        agent_user.refresh_from_db()
        assert agent_user.role == Role.AGENT

    @pytest.mark.parametrize("role", ["COMMUNICATOR", "ADMIN", "AGENT"])
    def test_an_admin_sets_a_role(self, admin, colleague, role):
        """Admins give any role; the user's `role` shows it."""
        data = admin.data(SET_ROLE, {"input": {"userId": gid(colleague), "role": role}})
        assert data["setUserRole"] == {
            "user": {"id": gid(colleague), "username": "gregoire", "role": role},
            "errors": [],
        }
        colleague.refresh_from_db()
        assert colleague.role == role

    def test_a_new_admin_sees_contact_details(self, admin, colleague, agent_user):
        """Promoted to ADMIN, a user gets admin rights on their next request."""
        # given
        their_client = signed_in(agent_user)
        # when
        admin.data(SET_ROLE, {"input": {"userId": gid(agent_user), "role": "ADMIN"}})
        # then
        user = their_client.data(NODE, {"id": gid(colleague)})["node"]
        assert user["phone"] == "0612345678"

    def test_an_admin_cannot_change_their_own_role(self, admin, admin_user):
        """An admin cannot demote themselves: INVALID."""
        data = admin.data(
            SET_ROLE, {"input": {"userId": gid(admin_user), "role": "AGENT"}}
        )
        assert [e["code"] for e in data["setUserRole"]["errors"]] == ["INVALID"]

    def test_a_superuser_stays_an_admin(self, admin_user):
        """A superuser's role cannot leave ADMIN through the API: INVALID."""
        # given
        root = User.objects.create_superuser("root", password="x-long-password")
        other_root = User.objects.create_superuser("root2", password="x-long-pass")
        # when
        data = signed_in(root).data(
            SET_ROLE, {"input": {"userId": gid(other_root), "role": "AGENT"}}
        )
        # then
        errors = data["setUserRole"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("role", "INVALID")]

    def test_an_unknown_role_is_bad_input(self, admin, colleague):
        """Roles are an enum: anything else is refused before running."""
        body = admin.execute(
            SET_ROLE, {"input": {"userId": gid(colleague), "role": "MAYOR"}}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestDjangoAdmin:
    @pytest.fixture
    def staff(self, db) -> Client:
        client = Client()
        client.force_login(
            User.objects.create_superuser("root", password="a-long-test-password")
        )
        return client

    @pytest.mark.parametrize(
        "path",
        [
            "/admin/social/user/?q=petit&role__exact=AGENT&is_active__exact=1",
            "/admin/social/department/",
            "/admin/social/site/",
            "/admin/social/invitation/",
        ],
    )
    def test_lists_show_people_structure_and_invitations(self, staff, colleague, path):
        """Users (searchable, filterable), departments, sites and invitations."""
        # given
        Invitation.objects.create(
            code_hash="0" * 64,
            display_name="Zoé Nouvelle",
            department=colleague.department,
            expires_at=timezone.now() + timedelta(days=30),
        )
        # when
        response = staff.get(path)
        # then
        assert response.status_code == 200
        assert b"Espaces verts" in response.content or b"Serres" in response.content

    def test_an_invitation_never_shows_its_code_hash(self, staff, parks):
        """The hash of a code is not displayed, and invitations are not added here."""
        invitation = Invitation.objects.create(
            code_hash="f" * 64,
            display_name="Zoé Nouvelle",
            expires_at=timezone.now() + timedelta(days=30),
        )
        page = staff.get(f"/admin/social/invitation/{invitation.pk}/change/")
        assert page.status_code == 200
        assert b"f" * 64 not in page.content
        assert staff.get("/admin/social/invitation/add/").status_code == 403

    def test_unticking_active_revokes_the_user_s_tokens(self, staff, colleague):
        """Deactivating in the Django admin signs the user out like the API does."""
        # given
        token_issue(user=colleague, name="phone")
        page = staff.get(f"/admin/social/user/{colleague.pk}/change/")
        form = page.context["adminform"].form
        data = {
            name: value
            for name, value in form.initial.items()
            if value is not None and name not in ("password", "last_seen_at")
        }
        data.update(
            is_active="",
            phone="06 11 22 33 44",
            department=colleague.department_id,
            site=colleague.site_id,
            groups=[],
            user_permissions=[],
            last_login_0="",
            last_login_1="",
            date_joined_0="2026-01-01",
            date_joined_1="08:00:00",
        )
        data.pop("is_active")
        # when
        response = staff.post(f"/admin/social/user/{colleague.pk}/change/", data)
        # then
        assert response.status_code == 302, response.context["adminform"].form.errors
        colleague.refresh_from_db()
        assert (colleague.is_active, colleague.phone) == (False, "0611223344")
        assert not AccessToken.objects.filter(
            user=colleague, revoked_at__isnull=True
        ).exists()

    def test_the_deactivate_action_follows_the_api_rules(self, staff, colleague):
        """The admin action deactivates and revokes, like deactivateUser."""
        token_issue(user=colleague, name="phone")
        response = staff.post(
            "/admin/social/user/",
            {"action": "deactivate_users", "_selected_action": [colleague.pk]},
        )
        assert response.status_code == 302
        colleague.refresh_from_db()
        assert colleague.is_active is False
        assert not AccessToken.objects.filter(
            user=colleague, revoked_at__isnull=True
        ).exists()
