"""Signing in, bearer tokens, signing out and changing password, over HTTP."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from social.models import AccessToken, Role, User
from social.models.auth import digest
from tests.conftest import THROTTLE_WINDOW, GraphQLClient, make_user

PASSWORD = "a-long-test-password"
NEW_PASSWORD = "Un-nouveau-mot-de-passe-2025"

VIEWER = "query { viewer { username } }"
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    token
    user { id username }
    errors { field code message }
  }
}
"""
LOGOUT = """
mutation Logout($input: LogoutInput!) {
  logout(input: $input) { errors { field code message } }
}
"""
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    user { username }
    errors { field code message }
  }
}
"""


@pytest.fixture
def admin_user(db) -> User:
    return make_user("adele", role=Role.ADMIN)


def login(
    client: GraphQLClient, identifier: str, password: str = PASSWORD, **extra
) -> dict:
    """Post `login` and return the decoded body."""
    response = client.post(
        LOGIN, {"input": {"identifier": identifier, "password": password}}, **extra
    )
    assert response.status_code == 200, response.content
    return response.json()


def token_of(user: User, **fields) -> str:
    """Sign `user` in over HTTP and return the bearer token."""
    body = login(GraphQLClient(Client()), user.username, **fields)
    return body["data"]["login"]["token"]


def bearer(token: str) -> GraphQLClient:
    return GraphQLClient(Client(), token)


def code_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


class TestLogin:
    def test_a_username_in_any_case_signs_in(self, anonymous, agent_user):
        """The username is matched whatever its case; a token and the user return."""
        data = login(anonymous, "AGATHE")["data"]["login"]
        assert data["errors"] == []
        assert data["token"].startswith("pv_")
        assert data["user"]["username"] == "agathe"

    def test_a_phone_number_typed_with_spaces_signs_in(self, anonymous, db):
        """A field agent types their phone number as they read it."""
        # given
        make_user("bruno", phone="0612345678")
        # when
        data = login(anonymous, "06 12 34 56 78")["data"]["login"]
        # then
        assert data["errors"] == []
        assert data["user"]["username"] == "bruno"

    def test_the_payload_shows_the_user_their_own_contact_details(self, anonymous, db):
        """The signed-in user sees their own phone in the payload."""
        # given
        make_user("bruno", phone="0612345678")
        query = LOGIN.replace("user { id username }", "user { username phone }")
        # when
        data = anonymous.data(
            query, {"input": {"identifier": "0612345678", "password": PASSWORD}}
        )
        # then
        assert data["login"]["user"] == {"username": "bruno", "phone": "0612345678"}

    def test_an_email_in_any_case_signs_in(self, anonymous, db):
        """An email is matched whatever its case."""
        make_user("chloe", email="chloe.martin@mairie.example")
        data = login(anonymous, "Chloe.Martin@MAIRIE.example")["data"]["login"]
        assert data["errors"] == []
        assert data["user"]["username"] == "chloe"

    def test_unknown_wrong_and_inactive_get_one_and_the_same_error(
        self, anonymous, agent_user
    ):
        """Nothing in the answer tells whether an account exists or is active."""
        # given
        make_user("parti", is_active=False)
        # when
        unknown = login(anonymous, "personne")["data"]["login"]
        wrong = login(anonymous, "agathe", "not-the-password")["data"]["login"]
        inactive = login(anonymous, "parti")["data"]["login"]
        # then
        assert unknown == wrong == inactive
        assert unknown["token"] is None
        assert unknown["user"] is None
        [error] = unknown["errors"]
        assert (error["field"], error["code"]) == (None, "INVALID")
        assert AccessToken.objects.count() == 0

    def test_the_device_name_user_agent_and_last_login_are_recorded(
        self, anonymous, agent_user
    ):
        """The token remembers its device; the user's last_login is set."""
        # when
        anonymous.post(
            LOGIN,
            {
                "input": {
                    "identifier": "agathe",
                    "password": PASSWORD,
                    "deviceName": "Pixel d'Agathe",
                }
            },
            headers={"User-Agent": "ParvisApp/1.0 (Android 14)"},
        )
        # then
        token = AccessToken.objects.get(user=agent_user)
        assert (token.name, token.user_agent) == (
            "Pixel d'Agathe",
            "ParvisApp/1.0 (Android 14)",
        )
        agent_user.refresh_from_db()
        assert agent_user.last_login is not None

    def test_a_browser_also_gets_a_session(self, anonymous, agent_user):
        """GraphiQL signs in once and then rides on the session cookie."""
        # when
        login(anonymous, "agathe")
        # then: the same browser, without any token
        assert anonymous.data(VIEWER) == {"viewer": {"username": "agathe"}}

    def test_the_token_is_stored_only_hashed(self, anonymous, agent_user):
        """The database keeps the token's SHA-256, never the token itself."""
        # when
        token = login(anonymous, "agathe")["data"]["login"]["token"]
        # then
        row = AccessToken.objects.values().get()
        assert row["key_hash"] == digest(token)
        assert not any(token in str(value) for value in row.values())

    def test_every_sign_in_is_a_device_of_its_own(self, agent_user):
        """Two sign-ins give two tokens, both valid."""
        first, second = token_of(agent_user), token_of(agent_user)
        assert first != second
        for token in (first, second):
            assert bearer(token).data(VIEWER) == {"viewer": {"username": "agathe"}}


class TestBearerToken:
    def test_a_token_authenticates_a_request(self, agent_user):
        """`Authorization: Bearer <token>` makes the request the token's user's."""
        token = token_of(agent_user)
        assert bearer(token).data(VIEWER) == {"viewer": {"username": "agathe"}}

    @pytest.mark.parametrize(
        "authorization", ["Bearer pv_not-a-token", "Bearer", "Bearer a b", "bearer x"]
    )
    def test_a_bad_token_is_refused_with_401_unauthenticated(self, db, authorization):
        """A bad token is refused whole, never answered as anonymous."""
        # when
        response = GraphQLClient(Client()).post(
            VIEWER, headers={"Authorization": authorization}
        )
        # then
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        body = response.json()
        assert body["data"] is None
        assert code_of(body) == "UNAUTHENTICATED"

    def test_a_deactivated_users_token_stops_working_at_once(self, agent_user):
        """A token is only as good as its user's active flag, checked every time."""
        # given
        token = token_of(agent_user)
        User.objects.filter(pk=agent_user.pk).update(is_active=False)
        # when
        response = bearer(token).post(VIEWER)
        # then
        assert response.status_code == 401

    def test_use_is_noted_at_most_once_a_minute(self, agent_user):
        """The first request notes last_used_at and last_seen_at; the next writes
        nothing.
        """
        # given
        token = token_of(agent_user)
        client = bearer(token)
        # when
        client.data(VIEWER)
        with CaptureQueriesContext(connection) as queries:
            client.data(VIEWER)
        # then
        row = AccessToken.objects.get(key_hash=digest(token))
        agent_user.refresh_from_db()
        assert row.last_used_at is not None
        assert agent_user.last_seen_at is not None
        assert not [q for q in queries if q["sql"].startswith("UPDATE")]
        # one query: the token with its user
        assert len(queries) == 1, [q["sql"] for q in queries]

    def test_a_bearer_request_needs_no_csrf_token_even_with_a_session_cookie(
        self, agent_user
    ):
        """A phone that kept the login's cookie is not asked for a CSRF token."""
        # given
        token = token_of(agent_user)
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user("autre"))
        # when
        response = GraphQLClient(client, token).post(VIEWER)
        # then: the token decides who asks, not the cookie
        assert response.status_code == 200
        assert response.json()["data"] == {"viewer": {"username": "agathe"}}


class TestLogout:
    def test_anonymous_is_unauthenticated(self, anonymous, db):
        """Nobody to sign out: refused at the top level."""
        body = anonymous.execute(LOGOUT, {"input": {}})
        assert code_of(body) == "UNAUTHENTICATED"

    @pytest.mark.parametrize("who", ["agent_user", "admin_user"])
    def test_logout_revokes_this_token_only(self, request, who):
        """An agent or an admin signs one device out; the others stay signed in."""
        # given
        user = request.getfixturevalue(who)
        this, other = token_of(user), token_of(user)
        # when
        data = bearer(this).data(LOGOUT, {"input": {}})
        # then
        assert data == {"logout": {"errors": []}}
        assert bearer(this).post(VIEWER).status_code == 401
        assert bearer(other).data(VIEWER) == {"viewer": {"username": user.username}}

    def test_logout_of_all_devices_revokes_every_token(self, agent_user):
        """allDevices signs the user out everywhere."""
        # given
        this, other = token_of(agent_user), token_of(agent_user)
        # when
        bearer(this).data(LOGOUT, {"input": {"allDevices": True}})
        # then
        assert bearer(this).post(VIEWER).status_code == 401
        assert bearer(other).post(VIEWER).status_code == 401
        assert not AccessToken.objects.filter(revoked_at__isnull=True).exists()

    def test_logout_ends_a_browser_session(self, agent, agent_user):
        """A session (GraphiQL) is ended; its tokens stay unless allDevices."""
        # given
        token = token_of(agent_user)
        # when
        data = agent.data(LOGOUT, {"input": {}})
        # then
        assert data == {"logout": {"errors": []}}
        assert agent.data(VIEWER) == {"viewer": None}
        assert bearer(token).data(VIEWER) == {"viewer": {"username": "agathe"}}

    def test_a_token_of_another_user_is_untouched(self, agent_user, admin_user):
        """Signing out revokes the viewer's own tokens, nobody else's."""
        # given
        mine, theirs = token_of(agent_user), token_of(admin_user)
        # when
        bearer(mine).data(LOGOUT, {"input": {"allDevices": True}})
        # then
        assert bearer(theirs).data(VIEWER) == {"viewer": {"username": "adele"}}


class TestChangePassword:
    def change(
        self, client: GraphQLClient, current: str = PASSWORD, new: str = NEW_PASSWORD
    ) -> dict:
        variables = {"input": {"currentPassword": current, "newPassword": new}}
        return client.data(CHANGE_PASSWORD, variables)["changePassword"]

    def test_anonymous_is_unauthenticated(self, anonymous, db):
        """Nobody signed in: refused at the top level."""
        variables = {"input": {"currentPassword": "x", "newPassword": NEW_PASSWORD}}
        body = anonymous.execute(CHANGE_PASSWORD, variables)
        assert code_of(body) == "UNAUTHENTICATED"

    def test_a_wrong_current_password_is_refused(self, agent_user):
        """The current password must be given right; nothing changes otherwise."""
        # given
        token = token_of(agent_user)
        # when
        payload = self.change(bearer(token), current="not-the-password")
        # then
        assert payload["user"] is None
        [error] = payload["errors"]
        assert (error["field"], error["code"]) == ("currentPassword", "INVALID")
        agent_user.refresh_from_db()
        assert agent_user.check_password(PASSWORD)

    @pytest.mark.parametrize("weak", ["123", "password", "agathe12"])
    def test_a_weak_new_password_is_refused_by_the_validators(self, agent_user, weak):
        """Django's validators speak; each of their reasons is an INVALID error."""
        # given
        token = token_of(agent_user)
        # when
        payload = self.change(bearer(token), new=weak)
        # then
        assert payload["user"] is None
        assert payload["errors"]
        for error in payload["errors"]:
            assert (error["field"], error["code"]) == ("newPassword", "INVALID")
            assert error["message"]
        agent_user.refresh_from_db()
        assert agent_user.check_password(PASSWORD)

    @pytest.mark.parametrize("who", ["agent_user", "admin_user"])
    def test_a_change_signs_other_devices_out_and_keeps_this_one(self, request, who):
        """An agent or an admin changes their password; only this phone stays in."""
        # given
        user = request.getfixturevalue(who)
        this, other = token_of(user), token_of(user)
        # when
        payload = self.change(bearer(this))
        # then
        assert payload == {"user": {"username": user.username}, "errors": []}
        assert bearer(this).data(VIEWER) == {"viewer": {"username": user.username}}
        assert bearer(other).post(VIEWER).status_code == 401
        assert login(GraphQLClient(Client()), user.username)["data"]["login"]["errors"]
        new = login(GraphQLClient(Client()), user.username, NEW_PASSWORD)
        assert new["data"]["login"]["errors"] == []

    def test_a_browser_session_survives_its_own_change(self, agent, agent_user):
        """GraphiQL stays signed in; every token of the user is revoked."""
        # given
        token = token_of(agent_user)
        # when
        payload = self.change(agent)
        # then
        assert payload["errors"] == []
        assert agent.data(VIEWER) == {"viewer": {"username": "agathe"}}
        assert bearer(token).post(VIEWER).status_code == 401


class TestThrottling:
    def test_an_account_is_locked_after_five_failures(self, anonymous, agent_user):
        """The sixth attempt in the window is refused whole, even with the right
        password, with the time to wait.
        """
        # given
        for _ in range(5):
            assert login(anonymous, "agathe", "wrong")["data"]["login"]["errors"]
        # when
        response = anonymous.post(
            LOGIN, {"input": {"identifier": "agathe", "password": PASSWORD}}
        )
        # then
        body = response.json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        retry_after = error["extensions"]["retryAfter"]
        assert isinstance(retry_after, int)
        assert 1 <= retry_after <= THROTTLE_WINDOW
        assert response["Retry-After"] == str(retry_after)
        assert AccessToken.objects.count() == 0

    def test_an_account_is_counted_however_its_identifier_is_typed(self, anonymous, db):
        """Spaces in a phone number or a change of case make no new account."""
        # given
        make_user("bruno", phone="0612345678")
        for typed in (
            "06 12 34 56 78",
            "06.12.34.56.78",
            "0612345678",
            "06-12-34-56-78",
            "(06) 12 34 56 78",
        ):
            login(anonymous, typed, "wrong")
        # when
        body = login(anonymous, "0612345678")
        # then
        assert code_of(body) == "RATE_LIMITED"

    def test_a_success_clears_the_accounts_failures(self, anonymous, agent_user):
        """Four failures, a success, four failures: never refused."""
        for _ in range(4):
            login(anonymous, "agathe", "wrong")
        assert login(anonymous, "agathe")["data"]["login"]["errors"] == []
        for _ in range(4):
            login(anonymous, "agathe", "wrong")
        assert login(anonymous, "agathe")["data"]["login"]["errors"] == []

    def test_attempts_packed_as_aliases_are_each_counted(self, anonymous, agent_user):
        """Five guesses in one request use the whole allowance."""
        # given
        guesses = " ".join(
            f'g{i}: login(input: {{identifier: "agathe", password: "guess{i}"}})'
            " { token errors { code } }"
            for i in range(5)
        )
        # when
        data = anonymous.data(f"mutation {{ {guesses} }}")
        # then
        assert all(data[f"g{i}"]["errors"] for i in range(5))
        assert code_of(login(anonymous, "agathe")) == "RATE_LIMITED"

    def test_too_many_aliases_in_one_request_are_refused(self, anonymous, agent_user):
        """Past the allowance, the packed request itself is refused."""
        guesses = " ".join(
            f'g{i}: login(input: {{identifier: "agathe", password: "guess{i}"}})'
            " { token }"
            for i in range(8)
        )
        body = anonymous.execute(f"mutation {{ {guesses} }}")
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]

    def test_an_address_is_refused_after_twenty_failures(self, anonymous, agent_user):
        """Spraying many accounts from one address is capped; others go on."""
        # given
        for i in range(20):
            login(anonymous, f"someone{i}", "wrong", REMOTE_ADDR="198.51.100.7")
        # when
        sprayer = login(anonymous, "agathe", REMOTE_ADDR="198.51.100.7")
        elsewhere = login(anonymous, "agathe", REMOTE_ADDR="198.51.100.8")
        # then
        assert code_of(sprayer) == "RATE_LIMITED"
        assert elsewhere["data"]["login"]["errors"] == []

    def test_successful_sign_ins_do_not_use_up_an_address(self, anonymous, db):
        """A whole office behind one address signs in, one after the other."""
        users = [make_user(f"agent{i}") for i in range(25)]
        for user in users:
            body = login(anonymous, user.username, REMOTE_ADDR="192.0.2.10")
            assert body["data"]["login"]["errors"] == [], body

    def test_hammering_another_account_does_not_block_a_sign_in(
        self, anonymous, agent_user
    ):
        """Someone locking Bruno's account, from Agathe's address or another,
        does not stop Agathe from signing in.
        """
        # given
        make_user("bruno")
        for address in ("203.0.113.1", "127.0.0.1"):
            for _ in range(6):
                login(anonymous, "bruno", "wrong", REMOTE_ADDR=address)
        assert code_of(login(anonymous, "bruno")) == "RATE_LIMITED"
        # when
        body = login(anonymous, "agathe")
        # then
        assert body["data"]["login"]["errors"] == []

    def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
        self, anonymous, agent_user, settings
    ):
        """X-Forwarded-For names the client when the peer is a trusted proxy."""
        # given
        settings.TRUSTED_PROXIES = ["127.0.0.1"]
        for i in range(20):
            login(
                anonymous,
                f"someone{i}",
                "wrong",
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
        # when
        sprayer = login(
            anonymous, "agathe", headers={"X-Forwarded-For": "198.51.100.7"}
        )
        other = login(anonymous, "agathe", headers={"X-Forwarded-For": "198.51.100.8"})
        # then
        assert code_of(sprayer) == "RATE_LIMITED"
        assert other["data"]["login"]["errors"] == []


class TestIdentifiersNameOnePerson:
    """A username can be neither an email nor a phone number, so one identifier
    never names two people, and look-alike spellings name nobody."""

    @pytest.mark.parametrize("username", ["jean@mairie.example", "06 12 34 56 78"])
    def test_a_username_shaped_like_an_email_or_a_phone_is_refused(self, username):
        with pytest.raises(ValidationError):
            User.username_validator(username)

    def test_an_email_signs_in_its_owner_only(self, anonymous, db):
        # given
        owner = make_user("jean.dupont", email="jean@mairie.example")
        # when
        body = login(anonymous, "JEAN@mairie.example")
        # then
        assert body["data"]["login"]["user"]["username"] == owner.username

    def test_a_unicode_case_variant_names_nobody(self, anonymous, db):
        """'adm\\u0131n' (a dotless i) is not 'admin': it names no account."""
        make_user("admin")
        body = login(anonymous, "adm\u0131n")
        assert body["data"]["login"]["errors"][0]["code"] == "INVALID"

    def test_an_account_without_a_password_is_refused_like_an_unknown_one(
        self, anonymous, db
    ):
        # given
        user = make_user("sans.mot")
        user.set_unusable_password()
        user.save()
        # when
        body = login(anonymous, "sans.mot", password="")
        # then
        [error] = body["data"]["login"]["errors"]
        assert (error["field"], error["code"]) == (None, "INVALID")
        assert body["data"]["login"]["token"] is None

    def test_usernames_are_unique_whatever_their_case(self, db):
        make_user("Jean")
        with pytest.raises(IntegrityError):
            make_user("jean")
