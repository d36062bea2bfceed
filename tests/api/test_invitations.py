"""Invitations over the API: admins hand out codes, anyone turns one into an account."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from strawberry.relay import to_base64

from social.codes import code_digest, code_normalize
from social.models import AccessToken, Department, Invitation, Role, Site, User
from social.models.auth import digest
from tests.conftest import GraphQLClient, make_user, signed_in

INVITATION_FIELDS = """
    id code displayName firstName lastName jobTitle role phone email
    createdAt expiresAt acceptedAt department { name } site { name }
"""
CREATE = f"""
mutation Create($input: CreateInvitationInput!) {{
  createInvitation(input: $input) {{
    invitation {{ {INVITATION_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""
CREATE_MANY = """
mutation CreateMany($input: CreateInvitationsInput!) {
  createInvitations(input: $input) {
    invitations { id code displayName }
    errors { field code message }
  }
}
"""
ACCEPT = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    token
    user { id username displayName role }
    errors { field code message }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) { ... on Invitation { id code displayName } }
}
"""
VIEWER = "query { viewer { username displayName jobTitle role phone email } }"
PASSWORD = "un mot de passe solide"


@pytest.fixture
def admin_user(db) -> User:
    return make_user("adele", display_name="Adèle Martin", role=Role.ADMIN)


@pytest.fixture
def admin(admin_user) -> GraphQLClient:
    return signed_in(admin_user)


@pytest.fixture
def communicator(db) -> GraphQLClient:
    return signed_in(make_user("colette", role=Role.COMMUNICATOR))


@pytest.fixture
def department(db) -> Department:
    return Department.objects.create(name="Espaces verts", slug="espaces-verts")


@pytest.fixture
def site(db) -> Site:
    return Site.objects.create(name="Centre technique municipal")


def invite(client: GraphQLClient, **fields) -> dict:
    """Create an invitation as `client` and return the payload."""
    variables = {"input": {"displayName": "Jean Dupont", **fields}}
    return client.data(CREATE, variables)["createInvitation"]


def issue_code(admin_client: GraphQLClient, **fields) -> str:
    """Create an invitation that must succeed and return its code."""
    payload = invite(admin_client, **fields)
    assert payload["errors"] == []
    return payload["invitation"]["code"]


def accept(client: GraphQLClient, code: str, username: str = "jdupont", **extra):
    variables = {"input": {"code": code, "username": username, "password": PASSWORD}}
    variables["input"].update(extra)
    return client.data(ACCEPT, variables)["acceptInvitation"]


def codes_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


# --- createInvitation -------------------------------------------------------------


def test_admin_invites_someone_and_gets_a_code_once(admin, department, site):
    """An admin's invitation has a readable code, the given details and a 30-day
    expiry; only the code's hash is stored."""
    # when
    before = timezone.now()
    payload = invite(
        admin,
        displayName="Jean Dupont",
        firstName="Jean",
        lastName="Dupont",
        jobTitle="Jardinier",
        departmentId=to_base64("Department", department.pk),
        siteId=to_base64("Site", site.pk),
        role="COMMUNICATOR",
        phone="06 12 34 56 78",
        email="Jean.Dupont@Example.org",
    )
    # then
    assert payload["errors"] == []
    invitation = payload["invitation"]
    assert invitation["code"][4] == "-"
    assert len(invitation["code"]) == 9
    assert invitation["displayName"] == "Jean Dupont"
    assert invitation["jobTitle"] == "Jardinier"
    assert invitation["department"] == {"name": "Espaces verts"}
    assert invitation["site"] == {"name": "Centre technique municipal"}
    assert invitation["role"] == "COMMUNICATOR"
    assert invitation["phone"] == "0612345678"
    assert invitation["email"] == "jean.dupont@example.org"
    assert invitation["acceptedAt"] is None
    stored = Invitation.objects.get()
    assert stored.code_hash == code_digest(code_normalize(invitation["code"]))
    assert invitation["code"].replace("-", "") not in json.dumps(
        list(Invitation.objects.values()), default=str
    )
    expected = before + timedelta(days=30)
    assert abs(stored.expires_at - expected) < timedelta(minutes=1)


def test_the_code_is_never_shown_again(admin):
    """Fetched later through node(), an invitation's code is null."""
    # given
    invitation = invite(admin)["invitation"]
    # when
    fetched = admin.data(NODE, {"id": invitation["id"]})["node"]
    # then
    assert fetched == {
        "id": invitation["id"],
        "code": None,
        "displayName": "Jean Dupont",
    }


def test_expiry_follows_the_setting_and_the_input(admin, settings):
    """INVITATION_DAYS sets the default expiry; expiresInDays overrides it."""
    # given
    settings.INVITATION_DAYS = 7
    now = timezone.now()
    # when
    default = invite(admin, phone="0600000001")["invitation"]["id"]
    chosen = invite(admin, phone="0600000002", expiresInDays=90)["invitation"]["id"]
    # then
    by_phone = {i.phone: i.expires_at for i in Invitation.objects.all()}
    assert abs(by_phone["0600000001"] - (now + timedelta(days=7))) < timedelta(
        minutes=1
    )
    assert abs(by_phone["0600000002"] - (now + timedelta(days=90))) < timedelta(
        minutes=1
    )
    assert default != chosen


def test_anonymous_clients_cannot_invite(anonymous, db):
    """No credentials: UNAUTHENTICATED, and nothing is created."""
    # when
    body = anonymous.execute(CREATE, {"input": {"displayName": "Jean Dupont"}})
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["agent", "communicator"])
def test_only_admins_invite(request, who):
    """Agents and communicators are refused with FORBIDDEN; nothing is created."""
    # given
    client = request.getfixturevalue(who)
    # when
    payload = invite(client)
    # then
    assert payload["invitation"] is None
    assert codes_of(payload) == [(None, "FORBIDDEN")]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"displayName": "   "}, [("displayName", "REQUIRED")]),
        ({"displayName": "x" * 151}, [("displayName", "TOO_LONG")]),
        ({"jobTitle": "x" * 151}, [("jobTitle", "TOO_LONG")]),
        ({"phone": "not a phone"}, [("phone", "INVALID")]),
        ({"email": "jean@"}, [("email", "INVALID")]),
        ({"expiresInDays": 0}, [("expiresInDays", "INVALID")]),
        ({"expiresInDays": 366}, [("expiresInDays", "INVALID")]),
        (
            {"departmentId": to_base64("Department", 999)},
            [("departmentId", "NOT_FOUND")],
        ),
        ({"siteId": to_base64("Site", 999)}, [("siteId", "NOT_FOUND")]),
        ({"departmentId": to_base64("User", 1)}, [("departmentId", "NOT_FOUND")]),
    ],
)
def test_invalid_invitations_are_refused_with_codes(admin, fields, expected):
    """Each invalid field is reported with its code, and nothing is created."""
    # when
    payload = invite(admin, **fields)
    # then
    assert payload["invitation"] is None
    assert codes_of(payload) == expected
    assert not Invitation.objects.exists()


def test_every_mistake_is_reported_at_once(admin):
    """A form with several mistakes gets all of them in one answer."""
    # when
    payload = invite(admin, displayName="", phone="??", email="@")
    # then
    assert set(codes_of(payload)) == {
        ("displayName", "REQUIRED"),
        ("phone", "INVALID"),
        ("email", "INVALID"),
    }


def test_a_phone_or_email_of_a_user_is_a_conflict(admin, agent_user):
    """Someone who already has an account (same phone, or email in any case) is
    not invited again."""
    # given
    agent_user.phone = "0612345678"
    agent_user.email = "agathe@example.org"
    agent_user.save()
    # when
    payload = invite(admin, phone="06.12.34.56.78", email="AGATHE@example.org")
    # then
    assert set(codes_of(payload)) == {("phone", "CONFLICT"), ("email", "CONFLICT")}
    assert not Invitation.objects.exists()


def test_inviting_the_same_person_again_replaces_the_pending_code(admin, anonymous):
    """A new invitation for the same phone makes the lost one stop working."""
    # given
    lost = issue_code(admin, phone="0612345678")
    # when
    new = issue_code(admin, phone="06 12 34 56 78")
    # then
    assert codes_of(accept(anonymous, lost)) == [("code", "CLOSED")]
    assert accept(anonymous, new)["errors"] == []


def test_invitations_are_visible_to_admins_only(admin, agent, communicator, anonymous):
    """node() shows an invitation to admins; to anyone else it does not exist."""
    # given
    invitation_id = invite(admin)["invitation"]["id"]
    # then
    assert admin.data(NODE, {"id": invitation_id})["node"]["id"] == invitation_id
    for client in (agent, communicator, anonymous):
        assert client.data(NODE, {"id": invitation_id}) == {"node": None}


# --- createInvitations ------------------------------------------------------------


def test_admin_invites_many_people_at_once(admin, department):
    """Each invitation of a batch comes back, in order, with its own code."""
    # when
    payload = admin.data(
        CREATE_MANY,
        {
            "input": {
                "invitations": [
                    {"displayName": f"Agent {n}", "phone": f"061234567{n}"}
                    for n in range(5)
                ]
            }
        },
    )["createInvitations"]
    # then
    assert payload["errors"] == []
    assert [i["displayName"] for i in payload["invitations"]] == [
        f"Agent {n}" for n in range(5)
    ]
    assert len({i["code"] for i in payload["invitations"]}) == 5
    assert Invitation.objects.count() == 5


def test_a_batch_with_one_mistake_creates_nothing(admin, agent_user):
    """Errors name the item by its index; no invitation of the batch is created."""
    # given
    agent_user.phone = "0699999999"
    agent_user.save()
    # when
    payload = admin.data(
        CREATE_MANY,
        {
            "input": {
                "invitations": [
                    {"displayName": "Bon", "phone": "0611111111"},
                    {"displayName": "", "email": "x@"},
                    {"displayName": "Doublon", "phone": "06 11 11 11 11"},
                    {"displayName": "Déjà là", "phone": "0699999999"},
                ]
            }
        },
    )["createInvitations"]
    # then
    assert payload["invitations"] == []
    assert set(codes_of(payload)) == {
        ("invitations.1.displayName", "REQUIRED"),
        ("invitations.1.email", "INVALID"),
        ("invitations.2.phone", "CONFLICT"),
        ("invitations.3.phone", "CONFLICT"),
    }
    assert not Invitation.objects.exists()


def test_a_batch_is_capped(admin):
    """More than 200 invitations at once are refused."""
    # when
    payload = admin.data(
        CREATE_MANY,
        {"input": {"invitations": [{"displayName": f"A{n}"} for n in range(201)]}},
    )["createInvitations"]
    # then
    assert codes_of(payload) == [("invitations", "INVALID")]
    assert not Invitation.objects.exists()


def test_anonymous_clients_cannot_invite_in_bulk(anonymous, db):
    """No credentials: UNAUTHENTICATED."""
    body = anonymous.execute(
        CREATE_MANY, {"input": {"invitations": [{"displayName": "A"}]}}
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["agent", "communicator"])
def test_only_admins_invite_in_bulk(request, who):
    """Agents and communicators are refused with FORBIDDEN."""
    client = request.getfixturevalue(who)
    payload = client.data(
        CREATE_MANY, {"input": {"invitations": [{"displayName": "A"}]}}
    )["createInvitations"]
    assert codes_of(payload) == [(None, "FORBIDDEN")]
    assert not Invitation.objects.exists()


# --- acceptInvitation -------------------------------------------------------------


def test_a_code_becomes_an_account_and_a_working_token(admin, department):
    """Accepting makes the account from the invitation and returns a bearer token
    that signs the new user in."""
    # given
    code = issue_code(
        admin,
        displayName="Jean Dupont",
        jobTitle="Jardinier",
        departmentId=to_base64("Department", department.pk),
        role="AGENT",
        phone="0612345678",
    )
    client = GraphQLClient(Client(headers={"User-Agent": "ParvisApp/1.0 (Android)"}))
    # when
    payload = accept(client, code, username="jdupont")
    # then
    assert payload["errors"] == []
    assert payload["user"]["username"] == "jdupont"
    assert payload["user"]["displayName"] == "Jean Dupont"
    user = User.objects.get(username="jdupont")
    assert (user.job_title, user.department, user.phone) == (
        "Jardinier",
        department,
        "0612345678",
    )
    assert user.check_password(PASSWORD)
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None
    assert invitation.user == user
    token = AccessToken.objects.get(key_hash=digest(payload["token"]))
    assert (token.user, token.name, token.user_agent) == (
        user,
        "invitation",
        "ParvisApp/1.0 (Android)",
    )
    bearer = GraphQLClient(Client(), token=payload["token"])
    assert bearer.data(VIEWER)["viewer"]["username"] == "jdupont"


@pytest.mark.parametrize("who", ["anonymous", "agent", "communicator", "admin"])
def test_anyone_may_accept_an_invitation(request, admin, who):
    """Acceptance needs no credentials, and credentials do not prevent it."""
    # given
    code = issue_code(admin)
    client = request.getfixturevalue(who)
    # when
    payload = accept(client, code)
    # then
    assert payload["errors"] == []
    assert User.objects.filter(username="jdupont").exists()


def test_a_code_typed_in_lower_case_with_spaces_works(admin, anonymous):
    """Case, spaces and dashes do not matter."""
    # given
    code = issue_code(admin)
    typed = " " + code.replace("-", " ").lower() + " "
    # when
    payload = accept(anonymous, typed)
    # then
    assert payload["errors"] == []


def test_a_used_code_is_closed_and_changes_nothing(admin, anonymous):
    """A second acceptance of one code is refused with CLOSED; no new account."""
    # given
    code = issue_code(admin)
    accept(anonymous, code, username="first")
    # when
    payload = accept(anonymous, code, username="second")
    # then
    assert payload["token"] is None
    assert payload["user"] is None
    assert codes_of(payload) == [("code", "CLOSED")]
    assert not User.objects.filter(username="second").exists()
    assert Invitation.objects.get().user.username == "first"


def test_an_expired_code_is_closed_and_changes_nothing(admin, anonymous):
    """A code past its expiry is refused with CLOSED; nothing is created."""
    # given
    code = issue_code(admin)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    users = User.objects.count()
    # when
    payload = accept(anonymous, code)
    # then
    assert codes_of(payload) == [("code", "CLOSED")]
    assert User.objects.count() == users
    assert Invitation.objects.get().accepted_at is None


def test_an_unknown_code_is_not_found(anonymous, db):
    """A well-formed code that was never issued is NOT_FOUND."""
    payload = accept(anonymous, "ABCD-EFGH")
    assert codes_of(payload) == [("code", "NOT_FOUND")]
    assert not User.objects.exists()


@pytest.mark.parametrize("typed", ["", "ABC", "ABCD-EFG0", "ABCD-EFGH-JK"])
def test_a_malformed_code_is_invalid(anonymous, db, typed):
    """Something that cannot be a code says so (INVALID) rather than NOT_FOUND."""
    payload = accept(anonymous, typed)
    assert codes_of(payload) == [("code", "INVALID")]


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [
        ("AGATHE", PASSWORD, [("username", "CONFLICT")]),
        ("jean dupont", PASSWORD, [("username", "INVALID")]),
        ("", PASSWORD, [("username", "REQUIRED")]),
        ("x" * 151, PASSWORD, [("username", "TOO_LONG")]),
        ("jdupont", "12345678", [("password", "INVALID")]),
        ("jdupont", "court", [("password", "INVALID")]),
        ("jdupont", "", [("password", "REQUIRED")]),
        ("agathe", "123", [("username", "CONFLICT"), ("password", "INVALID")]),
    ],
)
def test_bad_usernames_and_passwords_leave_the_code_usable(
    admin, anonymous, agent_user, username, password, expected
):
    """Username and password are checked (taken in any case, Django's validators);
    the refused attempt changes nothing and the code still works afterwards."""
    # given
    code = issue_code(admin)
    users = User.objects.count()
    # when
    payload = accept(anonymous, code, username=username, password=password)
    # then
    assert codes_of(payload) == expected
    assert User.objects.count() == users
    assert Invitation.objects.get().accepted_at is None
    assert accept(anonymous, code, username="jdupont")["errors"] == []


def test_a_password_like_the_name_is_refused(admin, anonymous):
    """The similarity validator knows the invited person's names."""
    code = issue_code(
        admin,
        displayName="Maximilien Beauregard",
        firstName="Maximilien",
        lastName="Beauregard",
    )
    payload = accept(anonymous, code, username="mbeau", password="maximilien")
    assert codes_of(payload) == [("password", "INVALID")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_of_one_code_create_one_account():
    """Several devices accepting one code at the same moment: one account, the
    others are refused with CLOSED."""
    # given
    admin_client = signed_in(make_user("adele", role=Role.ADMIN))
    code = issue_code(admin_client)
    attempts = 6
    barrier = threading.Barrier(attempts)
    results: list[dict] = []
    failures: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            client = GraphQLClient(Client())
            barrier.wait()
            results.append(accept(client, code, username=f"racer{n}"))
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert failures == []
    succeeded = [r for r in results if not r["errors"]]
    assert len(succeeded) == 1
    assert all(codes_of(r) == [("code", "CLOSED")] for r in results if r["errors"])
    assert User.objects.filter(username__startswith="racer").count() == 1
    assert Invitation.objects.get().user.username == succeeded[0]["user"]["username"]


def test_guessing_codes_is_throttled_per_address(anonymous, admin, settings):
    """Wrong codes count as failed sign-ins of the address; then RATE_LIMITED,
    even for a right code, until the window ends."""
    # given
    settings.SIGNIN_THROTTLE_ADDRESS_FAILURES = 3
    code = issue_code(admin)
    for _ in range(3):
        assert codes_of(accept(anonymous, "ZZZZ-ZZZZ")) == [("code", "NOT_FOUND")]
    # when
    body = anonymous.execute(
        ACCEPT,
        {"input": {"code": code, "username": "jdupont", "password": PASSWORD}},
    )
    # then
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["retryAfter"] > 0
    assert not User.objects.filter(username="jdupont").exists()


def test_a_valid_code_does_not_use_up_the_address_attempts(anonymous, admin, settings):
    """A right code with a refused username is no guess: it is not counted."""
    settings.SIGNIN_THROTTLE_ADDRESS_FAILURES = 2
    code = issue_code(admin)
    for _ in range(3):
        payload = accept(anonymous, code, username="bad name!")
        assert codes_of(payload) == [("username", "INVALID")]
    assert accept(anonymous, code)["errors"] == []


def test_the_new_user_sees_their_own_phone_and_email_in_the_payload(anonymous, admin):
    """The account just made is the viewer's own: its private fields are shown."""
    # given
    code = issue_code(admin, phone="06 11 22 33 44", email="jeanne@mairie.example")
    # when
    payload = anonymous.data(
        ACCEPT.replace("role }", "role phone email }"),
        {"input": {"code": code, "username": "jdupont", "password": PASSWORD}},
    )["acceptInvitation"]
    # then
    assert payload["errors"] == []
    assert (payload["user"]["phone"], payload["user"]["email"]) == (
        "0611223344",
        "jeanne@mairie.example",
    )
