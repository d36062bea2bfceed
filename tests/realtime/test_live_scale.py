"""Two server processes behind one Redis share events (issue 6, part 8).

Both servers use the Redis of the environment (REDIS_URL) when there is one,
else a redis-server of the test's own, with a channel-layer prefix of their
own, so that concurrent runs on one Redis do not hear each other.
"""

import contextlib
import os
import shutil
import uuid

import pytest

from social.actions.auth import token_issue
from social.actions.groups import group_add_members, group_create
from social.models import Role
from tests.conftest import gid, make_user, require
from tests.live import private_redis, running_server
from tests.realtime.client import connect, http_graphql
from tests.realtime.live import next_event, subscribe_live

pytestmark = [pytest.mark.live_server, pytest.mark.django_db(transaction=True)]

CREATE_POST = """
mutation Post($groupId: ID, $body: String!) {
  createPost(input: {groupId: $groupId, body: $body}) { post { id } errors { code } }
}
"""
REMOVE_MEMBER = """
mutation($g: ID!, $u: ID!) { removeGroupMember(input: {groupId: $g, userId: $u}) {
  errors { code } } }
"""


@pytest.fixture
def town(db) -> dict:
    camille = make_user("camille", role=Role.COMMUNICATOR)
    bruno = make_user("bruno")
    private = group_create(
        actor=camille, name="Projet", kind="PROJECT", visibility="PRIVATE"
    )
    group_add_members(actor=camille, group_id=private.pk, user_ids=[bruno.pk])
    return {
        "camille": token_issue(user=camille),
        "bruno": token_issue(user=bruno),
        "bruno_id": gid(bruno),
        "private": gid(private),
    }


@contextlib.contextmanager
def shared_redis():
    """The environment's Redis, or one of the test's own."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    with private_redis() as redis:
        yield redis.url


async def as_camille(url: str, town: dict, query: str, variables: dict) -> dict:
    answer = await http_graphql(url, query, variables, town["camille"])
    assert "errors" not in answer, answer
    (payload,) = answer["data"].values()
    assert payload["errors"] == [], payload
    return payload


@pytest.mark.parametrize("layer", ["pubsub", "core"])
async def test_an_event_written_on_one_server_reaches_a_subscriber_of_another(
    request, town, layer
):
    """Bruno is subscribed on server B: posts created through server A reach
    him; removed from the private group through A, he stops receiving its
    posts on B at once, and the next public one still comes."""
    with shared_redis() as redis_url:
        env = {
            "REDIS_URL": redis_url,
            "REDIS_CHANNEL_LAYER": layer,
            "CHANNEL_LAYER_PREFIX": f"scale-{uuid.uuid4().hex[:12]}",
        }
        with running_server(request, env) as a, running_server(request, env) as b:
            async with connect(f"{b}/graphql/") as ws:
                ack = await ws.init({"authorization": f"Bearer {town['bruno']}"})
                assert ack["type"] == "connection_ack"
                operation = await subscribe_live(ws, b)
                # when
                variables = {"groupId": town["private"], "body": "Réunion"}
                first = await as_camille(a, town, CREATE_POST, variables)
                # then
                event = await next_event(ws, operation)
                assert event["postId"] == first["post"]["id"]
                assert event["post"]["body"] == "Réunion"
                # when he is removed through A
                await as_camille(
                    a,
                    town,
                    REMOVE_MEMBER,
                    {"g": town["private"], "u": town["bruno_id"]},
                )
                variables = {"groupId": town["private"], "body": "Sans Bruno"}
                await as_camille(a, town, CREATE_POST, variables)
                marker = await as_camille(
                    a, town, CREATE_POST, {"groupId": None, "body": "À tous"}
                )
                # then the next event he gets is the public one
                event = await next_event(ws, operation)
    assert event["postId"] == marker["post"]["id"]
