"""Joining, leaving and the management of a group's members."""

import pytest
from strawberry.relay import to_base64

from social.models import GroupRole, Membership, MembershipStatus, Post, Visibility
from tests.api.test_groups import (
    GROUP,
    MODERATORS,
    ROLE_OF,
    VIEWERS,
    VISIBILITIES,
    Town,
    build_town,
    sees_group,
)
from tests.conftest import gid, make_user

GROUP_STATE = """
  group {
    slug memberCount viewerRole viewerIsMember viewerHasPendingRequest
  }
  errors { field code message }
"""
JOIN = (
    "mutation Join($input: JoinGroupInput!) { joinGroup(input: $input) {"
    + GROUP_STATE
    + "} }"
)
LEAVE = (
    "mutation Leave($input: LeaveGroupInput!) { leaveGroup(input: $input) {"
    + GROUP_STATE
    + "} }"
)
REVIEW = (
    "mutation Review($input: ReviewMembershipRequestInput!) {"
    " reviewMembershipRequest(input: $input) {" + GROUP_STATE + "} }"
)
ADD = (
    "mutation Add($input: AddGroupMembersInput!) {"
    " addGroupMembers(input: $input) {" + GROUP_STATE + "} }"
)
REMOVE = (
    "mutation Remove($input: RemoveGroupMemberInput!) {"
    " removeGroupMember(input: $input) {" + GROUP_STATE + "} }"
)
SET_ROLE = (
    "mutation SetRole($input: SetGroupMemberRoleInput!) {"
    " setGroupMemberRole(input: $input) {" + GROUP_STATE + "} }"
)
POST_NODE = "query Post($id: ID!) { node(id: $id) { id ... on Post { body } } }"


@pytest.fixture
def town(db) -> Town:
    return build_town()


def memberships(town: Town, visibility: str) -> dict[str, tuple[str, str]]:
    """Who is in the group, by position: (role, status)."""
    users = {user.pk: who for who, user in town.users.items()}
    return {
        users[m.user_id]: (m.role, m.status)
        for m in Membership.objects.filter(group=town.group(visibility))
    }


def moderation_outcome(viewer: str, visibility: str) -> str:
    """What a moderators-only mutation answers each viewer."""
    if viewer == "anonymous":
        return "UNAUTHENTICATED"
    if viewer in MODERATORS:
        return "OK"
    return "FORBIDDEN" if sees_group(viewer, visibility) else "NOT_FOUND"


def run(town: Town, viewer: str, mutation: str, **input_) -> tuple[str, dict | None]:
    """Run a mutation: ("OK", its payload), (an error code, the payload), or
    ("UNAUTHENTICATED", None)."""
    body = town.client(viewer).execute(mutation, {"input": input_})
    if "errors" in body:
        return body["errors"][0]["extensions"]["code"], None
    payload = next(iter(body["data"].values()))
    if payload["errors"]:
        return payload["errors"][0]["code"], payload
    return "OK", payload


def codes(payload: dict) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


ACTIVE = MembershipStatus.ACTIVE
PENDING = MembershipStatus.PENDING


class TestJoinGroup:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_join_matrix(self, town, viewer, visibility):
        """Public: a member at once. Private: a pending request. Secret:
        NOT_FOUND for non-members. Members and requesters asking again change
        nothing; a request to a public group is granted."""
        # given
        before = memberships(town, visibility)
        group = town.group(visibility)
        # when
        outcome, payload = run(town, viewer, JOIN, groupId=gid(group))
        # then
        after = memberships(town, visibility)
        if viewer == "anonymous":
            assert outcome == "UNAUTHENTICATED"
            assert after == before
            return
        if viewer in ROLE_OF:
            assert outcome == "OK"
            assert after == before
            return
        if visibility == Visibility.SECRET:
            assert outcome == "NOT_FOUND"
            assert codes(payload) == [("groupId", "NOT_FOUND")]
            assert payload["group"] is None
            assert after == before
            return
        assert outcome == "OK"
        status = ACTIVE if visibility == Visibility.PUBLIC else PENDING
        assert after[viewer] == (GroupRole.MEMBER, status)
        assert payload["group"]["viewerIsMember"] is (status == ACTIVE)
        assert payload["group"]["viewerHasPendingRequest"] is (status == PENDING)
        assert payload["group"]["viewerRole"] == (
            "MEMBER" if status == ACTIVE else None
        )
        assert payload["group"]["memberCount"] == 3 + (status == ACTIVE)

    def test_an_unknown_group_is_not_found(self, town):
        """A group ID that names nothing, or another type, is NOT_FOUND."""
        for group_id in [to_base64("Group", 999_999), gid(town.users["owner"])]:
            _outcome, payload = run(town, "outsider", JOIN, groupId=group_id)
            assert codes(payload) == [("groupId", "NOT_FOUND")]


class TestLeaveGroup:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_leave_matrix(self, town, viewer, visibility):
        """Members leave, requesters withdraw, the last owner may not leave;
        leaving a group you are not in changes nothing; a secret group is
        NOT_FOUND to outsiders and null once left."""
        # given
        before = memberships(town, visibility)
        group = town.group(visibility)
        # when
        outcome, payload = run(town, viewer, LEAVE, groupId=gid(group))
        # then
        after = memberships(town, visibility)
        if viewer == "anonymous":
            assert (outcome, after) == ("UNAUTHENTICATED", before)
        elif viewer == "owner":
            assert codes(payload) == [("groupId", "INVALID")]
            assert "owner" in payload["errors"][0]["message"]
            assert after == before
        elif not sees_group(viewer, visibility):
            assert codes(payload) == [("groupId", "NOT_FOUND")]
            assert after == before
        else:
            assert outcome == "OK"
            assert viewer not in after
            assert {k: v for k, v in before.items() if k != viewer} == after
            if visibility == Visibility.SECRET:
                assert payload["group"] is None
            else:
                assert payload["group"]["viewerIsMember"] is False
                assert payload["group"]["viewerHasPendingRequest"] is False
                assert payload["group"]["memberCount"] == 3 - (viewer in ROLE_OF)

    def test_an_owner_leaves_after_handing_over(self, town):
        """Once someone else owns the group, its owner may leave."""
        # given
        group = town.group(Visibility.PRIVATE)
        outcome, _ = run(
            town,
            "owner",
            SET_ROLE,
            groupId=gid(group),
            userId=gid(town.users["group_admin"]),
            role="OWNER",
        )
        assert outcome == "OK"
        # when
        outcome, _payload = run(town, "owner", LEAVE, groupId=gid(group))
        # then
        assert outcome == "OK"
        assert "owner" not in memberships(town, Visibility.PRIVATE)


class TestReviewMembershipRequest:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_moderators_approve(self, town, viewer, visibility):
        """Owners and admins approve a request; others are refused."""
        # given
        before = memberships(town, visibility)
        group = town.group(visibility)
        # when
        outcome, payload = run(
            town,
            viewer,
            REVIEW,
            groupId=gid(group),
            userId=gid(town.users["requester"]),
            approve=True,
        )
        # then
        expected = moderation_outcome(viewer, visibility)
        assert outcome == expected
        after = memberships(town, visibility)
        if expected == "OK":
            assert after["requester"] == (GroupRole.MEMBER, ACTIVE)
            assert payload["group"]["memberCount"] == 4
        else:
            assert after == before

    def test_a_refused_request_is_dropped(self, town):
        """Refusing removes the request; the requester may ask again."""
        group = town.group(Visibility.PRIVATE)
        outcome, _ = run(
            town,
            "group_admin",
            REVIEW,
            groupId=gid(group),
            userId=gid(town.users["requester"]),
            approve=False,
        )
        assert outcome == "OK"
        assert "requester" not in memberships(town, Visibility.PRIVATE)
        view = town.client("requester").data(GROUP, {"slug": group.slug})["group"]
        assert view["viewerHasPendingRequest"] is False

    @pytest.mark.parametrize("who", ["member", "outsider", "gone"])
    def test_there_must_be_a_request(self, town, who):
        """Reviewing someone who did not ask is NOT_FOUND and changes nothing."""
        before = memberships(town, Visibility.PRIVATE)
        _outcome, payload = run(
            town,
            "owner",
            REVIEW,
            groupId=gid(town.group(Visibility.PRIVATE)),
            userId=gid(town.users[who]),
            approve=True,
        )
        assert codes(payload) == [("userId", "NOT_FOUND")]
        assert memberships(town, Visibility.PRIVATE) == before


class TestAddGroupMembers:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_moderators_add(self, town, viewer, visibility):
        """Owners and admins add people directly, to secret groups too; the
        added person then sees the group."""
        # given
        before = memberships(town, visibility)
        group = town.group(visibility)
        # when
        outcome, payload = run(
            town,
            viewer,
            ADD,
            groupId=gid(group),
            userIds=[gid(town.users["outsider"]), gid(town.users["requester"])],
        )
        # then
        expected = moderation_outcome(viewer, visibility)
        assert outcome == expected
        after = memberships(town, visibility)
        if expected != "OK":
            assert after == before
            return
        assert after["outsider"] == (GroupRole.MEMBER, ACTIVE)
        assert after["requester"] == (GroupRole.MEMBER, ACTIVE)
        assert payload["group"]["memberCount"] == 5
        view = town.client("outsider").data(GROUP, {"slug": group.slug})["group"]
        assert view["viewerRole"] == "MEMBER"

    def test_all_or_nothing_with_errors_by_index(self, town):
        """One unknown person and nobody is added; each bad ID is named."""
        # given
        group = town.group(Visibility.SECRET)
        before = memberships(town, Visibility.SECRET)
        # when
        _outcome, payload = run(
            town,
            "owner",
            ADD,
            groupId=gid(group),
            userIds=[
                gid(town.users["outsider"]),
                to_base64("User", 999_999),
                gid(town.users["gone"]),
                gid(group),
                gid(town.users["communicator"]),
            ],
        )
        # then
        assert codes(payload) == [("userIds.3", "NOT_FOUND")]
        assert payload["group"] is None
        assert memberships(town, Visibility.SECRET) == before
        # and once the IDs are all of users, the unknown ones are named
        _outcome, payload = run(
            town,
            "owner",
            ADD,
            groupId=gid(group),
            userIds=[
                gid(town.users["outsider"]),
                to_base64("User", 999_999),
                gid(town.users["gone"]),
            ],
        )
        assert codes(payload) == [
            ("userIds.1", "NOT_FOUND"),
            ("userIds.2", "NOT_FOUND"),
        ]
        assert memberships(town, Visibility.SECRET) == before

    def test_members_stay_as_they_are(self, town):
        """Adding an owner, a duplicate or oneself changes nothing."""
        group = town.group(Visibility.PUBLIC)
        before = memberships(town, Visibility.PUBLIC)
        outcome, _ = run(
            town,
            "group_admin",
            ADD,
            groupId=gid(group),
            userIds=[gid(town.users["owner"])] * 2 + [gid(town.users["group_admin"])],
        )
        assert outcome == "OK"
        assert memberships(town, Visibility.PUBLIC) == before

    def test_the_list_is_neither_empty_nor_huge(self, town, db):
        """No one to add is REQUIRED; more than 100 is TOO_LONG."""
        group = town.group(Visibility.PUBLIC)
        _, payload = run(town, "owner", ADD, groupId=gid(group), userIds=[])
        assert codes(payload) == [("userIds", "REQUIRED")]
        many = [to_base64("User", pk) for pk in range(1, 102)]
        _, payload = run(town, "owner", ADD, groupId=gid(group), userIds=many)
        assert codes(payload) == [("userIds", "TOO_LONG")]


class TestRemoveGroupMember:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_moderators_remove(self, town, viewer, visibility):
        """Owners and admins remove a member; others are refused."""
        # given
        before = memberships(town, visibility)
        # when
        outcome, payload = run(
            town,
            viewer,
            REMOVE,
            groupId=gid(town.group(visibility)),
            userId=gid(town.users["member"]),
        )
        # then
        expected = moderation_outcome(viewer, visibility)
        assert outcome == expected
        after = memberships(town, visibility)
        if expected == "OK":
            assert "member" not in after
            assert payload["group"]["memberCount"] == 2
        else:
            assert after == before

    @pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.SECRET])
    def test_a_removed_member_loses_access_at_once(self, town, visibility):
        """The next request of a removed member no longer reads the group's
        members and posts; a secret group and its posts vanish."""
        # given
        group = town.group(visibility)
        client = town.client("member")
        post = Post.objects.get(group=group)
        post_id = to_base64("Post", post.pk)
        assert client.data(POST_NODE, {"id": post_id})["node"] is not None
        # when
        outcome, _ = run(
            town,
            "owner",
            REMOVE,
            groupId=gid(group),
            userId=gid(town.users["member"]),
        )
        # then
        assert outcome == "OK"
        view = client.data(GROUP, {"slug": group.slug})["group"]
        assert client.data(POST_NODE, {"id": post_id}) == {"node": None}
        if visibility == Visibility.SECRET:
            assert view is None
            return
        assert view["viewerIsMember"] is False
        assert view["viewerRole"] is None
        assert view["members"] == {"totalCount": 0, "edges": []}
        assert view["posts"] == {"totalCount": 0, "edges": []}

    def test_an_admin_cannot_remove_an_owner(self, town):
        """Only an owner removes an owner."""
        before = memberships(town, Visibility.PUBLIC)
        _, payload = run(
            town,
            "group_admin",
            REMOVE,
            groupId=gid(town.group(Visibility.PUBLIC)),
            userId=gid(town.users["owner"]),
        )
        assert codes(payload) == [("userId", "FORBIDDEN")]
        assert memberships(town, Visibility.PUBLIC) == before

    def test_an_owner_removes_an_admin_but_not_the_last_owner(self, town):
        """An owner removes an admin; removing the last owner is INVALID."""
        group = town.group(Visibility.PUBLIC)
        outcome, _ = run(
            town,
            "owner",
            REMOVE,
            groupId=gid(group),
            userId=gid(town.users["group_admin"]),
        )
        assert outcome == "OK"
        _, payload = run(
            town, "owner", REMOVE, groupId=gid(group), userId=gid(town.users["owner"])
        )
        assert codes(payload) == [("userId", "INVALID")]
        assert memberships(town, Visibility.PUBLIC)["owner"] == (
            GroupRole.OWNER,
            ACTIVE,
        )

    @pytest.mark.parametrize("who", ["outsider", "requester", "gone"])
    def test_only_active_members_are_removed(self, town, who):
        """Removing someone who is not a member is NOT_FOUND (requests are
        reviewed, not removed)."""
        before = memberships(town, Visibility.PRIVATE)
        _, payload = run(
            town,
            "owner",
            REMOVE,
            groupId=gid(town.group(Visibility.PRIVATE)),
            userId=gid(town.users[who]),
        )
        assert codes(payload) == [("userId", "NOT_FOUND")]
        assert memberships(town, Visibility.PRIVATE) == before


class TestSetGroupMemberRole:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_only_moderators_make_admins(self, town, viewer, visibility):
        """Owners and admins make a member an admin; others are refused."""
        # given
        before = memberships(town, visibility)
        # when
        outcome, _ = run(
            town,
            viewer,
            SET_ROLE,
            groupId=gid(town.group(visibility)),
            userId=gid(town.users["member"]),
            role="ADMIN",
        )
        # then
        expected = moderation_outcome(viewer, visibility)
        assert outcome == expected
        after = memberships(town, visibility)
        if expected == "OK":
            assert after["member"] == (GroupRole.ADMIN, ACTIVE)
        else:
            assert after == before

    @pytest.mark.parametrize(
        ("actor", "target", "role", "result"),
        [
            ("owner", "member", "OWNER", "OK"),
            ("owner", "group_admin", "MEMBER", "OK"),
            ("group_admin", "member", "ADMIN", "OK"),
            ("group_admin", "group_admin", "MEMBER", "OK"),
            ("group_admin", "member", "OWNER", "FORBIDDEN"),
            ("group_admin", "owner", "MEMBER", "FORBIDDEN"),
            ("group_admin", "owner", "ADMIN", "FORBIDDEN"),
            ("owner", "owner", "ADMIN", "INVALID"),
            ("owner", "owner", "OWNER", "OK"),
            ("owner", "outsider", "ADMIN", "NOT_FOUND"),
            ("owner", "requester", "ADMIN", "NOT_FOUND"),
            ("owner", "gone", "ADMIN", "NOT_FOUND"),
        ],
    )
    def test_role_rules(self, town, actor, target, role, result):
        """Only owners make or unmake owners; the last owner cannot step down;
        roles are given to active members only."""
        # given
        before = memberships(town, Visibility.PRIVATE)
        # when
        outcome, _ = run(
            town,
            actor,
            SET_ROLE,
            groupId=gid(town.group(Visibility.PRIVATE)),
            userId=gid(town.users[target]),
            role=role,
        )
        # then
        assert outcome == result
        after = memberships(town, Visibility.PRIVATE)
        if result == "OK":
            assert after[target] == (role, ACTIVE)
        else:
            assert after == before

    def test_an_owner_steps_down_once_another_owns(self, town):
        """With two owners, either may become an admin."""
        group = town.group(Visibility.PUBLIC)
        for user, role in [("member", "OWNER"), ("owner", "ADMIN")]:
            outcome, _ = run(
                town,
                "owner",
                SET_ROLE,
                groupId=gid(group),
                userId=gid(town.users[user]),
                role=role,
            )
            assert outcome == "OK"
        roles = memberships(town, Visibility.PUBLIC)
        assert (roles["owner"][0], roles["member"][0]) == ("ADMIN", "OWNER")

    def test_organisation_admins_have_no_power_over_groups(self, town):
        """An organisation admin outside a group moderates nothing in it."""
        # given
        extra = make_user("nouveau")
        # then
        for visibility in VISIBILITIES:
            code = "FORBIDDEN" if visibility != Visibility.SECRET else "NOT_FOUND"
            group_id = gid(town.group(visibility))
            for mutation, input_ in [
                (ADD, {"userIds": [gid(extra)]}),
                (REMOVE, {"userId": gid(town.users["member"])}),
                (SET_ROLE, {"userId": gid(town.users["member"]), "role": "OWNER"}),
            ]:
                outcome, _ = run(
                    town, "org_admin", mutation, groupId=group_id, **input_
                )
                assert outcome == code
