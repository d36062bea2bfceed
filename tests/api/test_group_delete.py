"""`deleteGroup`: only a group's owners delete it, with everything in it."""

import pytest

from social.actions.posts import post_create
from social.models import Comment, Group, Membership, Post, SearchEntry
from tests.api.test_group_members import run
from tests.api.test_groups import VIEWERS, VISIBILITIES, Town, build_town, sees_group
from tests.conftest import gid

DELETE = """
mutation Delete($input: DeleteGroupInput!) {
  deleteGroup(input: $input) { groupId errors { field code message } }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id } }"


@pytest.fixture
def town(db) -> Town:
    return build_town()


def outcome(viewer: str, visibility: str) -> str:
    """Owners delete; whoever else sees the group is refused; the others are
    told it does not exist."""
    if viewer == "anonymous":
        return "UNAUTHENTICATED"
    if viewer == "owner":
        return "OK"
    return "FORBIDDEN" if sees_group(viewer, visibility) else "NOT_FOUND"


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_delete_matrix(town, viewer, visibility):
    """Only an owner deletes; a refusal changes nothing, and a secret group is
    NOT_FOUND to those who may not see it, as a missing one."""
    group = town.group(visibility)
    # when
    result, payload = run(town, viewer, DELETE, groupId=gid(group))
    # then
    assert result == outcome(viewer, visibility)
    assert Group.objects.filter(pk=group.pk).exists() == (result != "OK")
    if result == "OK":
        assert payload["groupId"] == gid(group)
    elif payload is not None:
        assert payload["groupId"] is None
        assert payload["errors"][0]["field"] == "groupId"


def test_a_deleted_group_takes_its_content_and_index_entries(town):
    """Its memberships, posts, comments and search entries go with it."""
    group = town.group("PUBLIC")
    owner = town.users["owner"]
    post = post_create(actor=owner, group_id=group.pk, body="Compost partagé")
    Comment.objects.create(post=post, author=owner, body="Oui", body_html="<p>Oui</p>")
    # when
    result, _ = run(town, "owner", DELETE, groupId=gid(group))
    # then
    assert result == "OK"
    assert not Membership.objects.filter(group_id=group.pk).exists()
    assert not Post.objects.filter(pk=post.pk).exists()
    assert not SearchEntry.objects.filter(group_id=group.pk).exists()
    body = town.client("owner").execute(NODE, {"id": gid(group)})
    assert body["data"]["node"] is None


def test_an_unknown_group_is_not_found(town):
    result, payload = run(town, "owner", DELETE, groupId=gid(Group(pk=10**6)))
    assert result == "NOT_FOUND"
    assert payload["errors"][0]["message"] == "No such group."
