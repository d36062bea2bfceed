"""The news feed: `feed(first, after, groupId)`."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from strawberry.relay import to_base64

from social.models import Department, Post, Reaction, ReactionKind, User
from tests.api.test_posts import (
    GROUP_PLACES,
    VIEWERS,
    World,
    build_world,
    comment_on,
    join,
    make_group,
    publish,
    reads,
)
from tests.conftest import GraphQLClient, gid, make_user, signed_in


@pytest.fixture
def world(db) -> World:
    """Groups of each visibility, their posts and comments (tests.api.test_posts)."""
    return build_world()


FEED = """
query Feed($first: Int, $after: String, $groupId: ID) {
  feed(first: $first, after: $after, groupId: $groupId) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id body isPinned group { id } } }
  }
}
"""

# What a phone shows for each post of a page: see docs/FEED.md.
FEED_PAGE = """
query FeedPage($first: Int, $after: String, $groupId: ID) {
  feed(first: $first, after: $after, groupId: $groupId) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id body bodyHtml createdAt editedAt isAnnouncement isPinned
        author { id displayName jobTitle avatarUrl department { name } }
        group { id name slug visibility viewerRole memberCount }
        commentCount reactionCount reactions { kind count } viewerReaction
        viewerCanEdit viewerCanDelete viewerCanPin
        latestComments(count: 3) {
          id body bodyHtml createdAt editedAt replyCount
          author { id displayName avatarUrl }
          reactionCount reactions { kind count } viewerReaction
          viewerCanEdit viewerCanDelete
        }
      }
    }
  }
}
"""


def bodies(client: GraphQLClient, **variables) -> list[str]:
    page = client.data(FEED, {"first": 100, **variables})["feed"]
    return [edge["node"]["body"] for edge in page["edges"]]


def ids(page: dict) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


class TestContents:
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_the_feed_holds_the_viewers_groups_and_the_organisation(
        self, world, viewer
    ):
        """Without groupId: organisation-wide posts and those of the groups the
        viewer is an active member of, never those of other groups (not even
        public ones); nothing for anonymous clients."""
        # when
        page = world.client(viewer).data(FEED, {"first": 100})["feed"]
        # then
        member = viewer in ("member", "group_admin")
        expected = {
            gid(post)
            for place, post in world.posts.items()
            if viewer != "anonymous" and (place == "ORG" or member)
        }
        assert set(ids(page)) == expected
        assert page["totalCount"] == len(expected)

    @pytest.mark.parametrize("place", GROUP_PLACES)
    @pytest.mark.parametrize("viewer", VIEWERS)
    def test_a_group_feed_is_for_those_who_read_the_group(self, world, viewer, place):
        """With groupId: the group's posts for whoever may read it (anyone
        signed in for a public group); an empty connection otherwise, the same
        as for a group that does not exist."""
        # given
        group_id = gid(world.groups[place])
        # when
        page = world.client(viewer).data(FEED, {"groupId": group_id})["feed"]
        missing = world.client(viewer).data(
            FEED, {"groupId": to_base64("Group", 999_999)}
        )["feed"]
        # then
        if reads(viewer, place):
            assert ids(page) == [gid(world.posts[place])]
            assert page["totalCount"] == 1
        else:
            assert page == missing
            assert (page["totalCount"], page["edges"]) == (0, [])

    def test_a_pending_member_reads_a_private_group_as_an_outsider(self, world):
        """A request to join opens nothing."""
        client = signed_in(world.users["pending"])
        assert bodies(client, groupId=gid(world.groups["PRIVATE"])) == []
        assert bodies(client) == [world.posts["ORG"].body]

    def test_a_group_id_of_another_type_is_bad_input(self, world):
        """A user's ID as groupId is the client's mistake, said so."""
        body = world.client("member").execute(
            FEED, {"groupId": gid(world.users["member"])}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    def test_leaving_a_private_group_takes_its_posts_away(self, world):
        """Rights are checked at each read: a former member reads nothing."""
        client = world.client("member")
        assert world.posts["PRIVATE"].body in bodies(client)
        world.users["member"].memberships.filter(group=world.groups["PRIVATE"]).delete()
        assert world.posts["PRIVATE"].body not in bodies(client)
        assert bodies(client, groupId=gid(world.groups["PRIVATE"])) == []


class TestOrder:
    def test_newest_first_with_pinned_announcements_on_top(self, world):
        """Organisation-wide pinned posts come first; a post pinned in a group
        is on top of that group's feed only; then newest first."""
        # given
        member, communicator = world.users["member"], world.users["communicator"]
        public = world.groups["PUBLIC"]
        announcement = publish(
            communicator, None, "Annonce épinglée", is_announcement=True
        )
        group_pinned = publish(member, public, "Épinglé dans le groupe")
        publish(member, public, "Le plus récent")
        Post.objects.filter(pk=announcement.pk).update(
            is_pinned=True, created_at=timezone.now() - timedelta(days=30)
        )
        Post.objects.filter(pk=group_pinned.pk).update(
            is_pinned=True, created_at=timezone.now() - timedelta(days=20)
        )
        client = world.client("member")
        # when
        feed = bodies(client)
        group_feed = bodies(client, groupId=gid(public))
        # then
        assert feed[0] == "Annonce épinglée"
        assert feed[1] == "Le plus récent"
        assert feed[-1] == "Épinglé dans le groupe"
        assert group_feed == [
            "Épinglé dans le groupe",
            "Le plus récent",
            world.posts["PUBLIC"].body,
        ]

    def test_posts_of_the_same_instant_keep_a_stable_order(self, world):
        """Equal creation times are ordered by id, newest first."""
        # given
        moment = timezone.now()
        made = [
            publish(world.users["member"], world.groups["PUBLIC"], f"Même instant {n}")
            for n in range(5)
        ]
        Post.objects.filter(pk__in=[p.pk for p in made]).update(created_at=moment)
        # when
        found = bodies(world.client("member"), groupId=gid(world.groups["PUBLIC"]))
        # then
        assert found[:5] == [f"Même instant {n}" for n in reversed(range(5))]


def page_through(client: GraphQLClient, size: int, between=None, **variables):
    """Every post id of a feed, page by page; `between(n)` runs after page n."""
    seen, after, page_number = [], None, 0
    while True:
        page = client.data(FEED, {"first": size, "after": after, **variables})["feed"]
        seen += ids(page)
        page_number += 1
        if between is not None:
            between(page_number)
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


class TestStableCursors:
    @pytest.fixture
    def history(self, world) -> list[Post]:
        """45 posts in the public group, a minute apart, the oldest first."""
        start = timezone.now() - timedelta(days=1)
        posts = [
            publish(world.users["member"], world.groups["PUBLIC"], f"Historique {n}")
            for n in range(45)
        ]
        for n, post in enumerate(posts):
            Post.objects.filter(pk=post.pk).update(
                created_at=start + timedelta(minutes=n)
            )
        return posts

    @pytest.mark.parametrize("group_feed", [False, True])
    def test_new_posts_between_pages_cause_no_duplicate_and_no_gap(
        self, world, history, group_feed
    ):
        """Posts created after page 1 do not shift page 2: every post that was
        there is seen once, in order; the new ones wait at the top."""
        # given
        client = world.client("member")
        variables = {"groupId": gid(world.groups["PUBLIC"])} if group_feed else {}
        before = page_through(client, 100, **variables)
        made: list[str] = []

        def publish_more(page_number: int) -> None:
            for n in range(7):
                post = publish(
                    world.users["member"],
                    world.groups["PUBLIC"],
                    f"Nouveau {page_number}-{n}",
                )
                made.append(gid(post))

        # when
        seen = page_through(client, 10, between=publish_more, **variables)
        # then
        assert seen == before
        assert not set(made) & set(seen)
        assert page_through(client, 100, **variables)[: len(made)] == made[::-1]

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_inserts_while_paging(self):
        """Colleagues posting (through the API) while a phone pages through the
        feed: the pages hold every post that was there before, once each, and
        no post twice."""
        # given
        reader = make_user("lecteur")
        writers = [make_user(f"auteur{n}") for n in range(3)]
        group = make_group("Machine a cafe", "PUBLIC")
        for user in (reader, *writers):
            join(user, group)
        old = [gid(publish(writers[n % 3], group, f"Ancien {n}")) for n in range(60)]
        client = signed_in(reader)
        stop = threading.Event()
        failures: list[BaseException] = []
        created: list[str] = []

        def write(user) -> None:
            try:
                writer = signed_in(user)
                count = 0
                while not stop.is_set() and count < 40:
                    payload = writer.data(
                        CREATE,
                        {"input": {"groupId": gid(group), "body": f"Live {count}"}},
                    )["createPost"]
                    assert payload["errors"] == []
                    created.append(payload["post"]["id"])
                    count += 1
            except BaseException as error:  # reported by the main thread
                failures.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(u,)) for u in writers]
        # when
        for thread in threads:
            thread.start()
        try:
            # Page only once posts are being written, so paging and writing overlap.
            deadline = time.monotonic() + 30
            while not created and not failures and time.monotonic() < deadline:
                time.sleep(0.01)
            assert created, "no post was written while paging"
            seen = page_through(client, 7)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        # then
        assert failures == []
        assert len(seen) == len(set(seen))
        assert [post_id for post_id in seen if post_id in set(old)] == old[::-1]
        assert set(seen) <= set(old) | set(created)


CREATE = """
mutation Create($input: CreatePostInput!) {
  createPost(input: $input) { post { id } errors { field code } }
}
"""


class TestNoLeaks:
    def test_secret_content_never_reaches_outsiders(self, world):
        """Nothing of a secret group reaches the feed, its counts or its
        comments, for any non-member, even an organisation admin."""
        secret_bodies = {
            world.posts["SECRET"].body,
            world.comments["SECRET"].body,
            world.replies["SECRET"].body,
        }
        for viewer in ("outsider", "communicator", "admin"):
            client = world.client(viewer)
            everything = str(client.data(FEED_PAGE, {"first": 100}))
            assert not any(body in everything for body in secret_bodies)
            assert world.groups["SECRET"].name not in everything
            secret_feed = client.data(
                FEED_PAGE, {"groupId": gid(world.groups["SECRET"])}
            )["feed"]
            assert (secret_feed["totalCount"], secret_feed["edges"]) == (0, [])


class TestSqlQueryCount:
    @pytest.fixture
    def busy(self, world) -> World:
        """120 posts in the member's groups and organisation-wide, each with
        four comments (one a reply), reactions and a few authors."""
        service = Department.objects.create(name="Espaces verts", slug="ev")
        authors = [world.users["member"], world.users["group_admin"]] + [
            make_user(f"collegue{n}", display_name=f"Collègue {n}", department=service)
            for n in range(4)
        ]
        User.objects.filter(pk=world.users["communicator"].pk).update(
            department=service
        )
        for author in authors[2:]:
            for group in world.groups.values():
                join(author, group)
        places = [None, *world.groups.values()]
        kinds = list(ReactionKind.values)
        for n in range(120):
            author = authors[n % len(authors)]
            post = publish(author, places[n % 4], f"Publication {n}")
            if n % 4 == 0:
                post.author = world.users["communicator"]
                post.save(update_fields=["author"])
            first = comment_on(post, authors[(n + 1) % 6], "Premier")
            comment_on(post, authors[(n + 2) % 6], "Deuxième")
            comment_on(post, authors[(n + 3) % 6], "Troisième")
            comment_on(post, authors[(n + 4) % 6], "Réponse", parent=first)
            for m, user in enumerate(authors[: n % 5]):
                Reaction.objects.create(user=user, post=post, kind=kinds[m % 5])
            Reaction.objects.create(
                user=world.users["member"], comment=first, kind="LOVE"
            )
        return world

    @pytest.mark.parametrize("viewer", ["member", "admin", "outsider"])
    def test_a_page_costs_the_same_for_1_20_and_100_posts(self, busy, viewer):
        """A full feed page (authors, groups, counts, reactions, viewer state,
        the 3 latest comments with their authors) runs the same number of SQL
        queries whatever its size."""
        # given
        client = busy.client(viewer)
        counts = []
        # when
        for size in (1, 20, 100):
            with CaptureQueriesContext(connection) as queries:
                page = client.data(FEED_PAGE, {"first": size})["feed"]
            assert len(page["edges"]) == min(size, page["totalCount"])
            counts.append(len(queries))
        # then
        assert counts[0] == counts[1] == counts[2], counts
        if viewer == "member":
            node = page["edges"][-1]["node"]
            assert len(node["latestComments"]) == 3
            assert node["latestComments"][0]["author"]["displayName"]
        # session and viewer, page, count, authors, groups, departments, comment
        # counts, reactions, viewer's reactions, memberships, latest comments,
        # their authors, their replies, reactions, viewer's reactions, posts
        assert counts[0] <= 17, [query["sql"] for query in queries]

    def test_a_group_feed_page_costs_the_same_for_1_20_and_100_posts(self, busy):
        """The same for one group's feed."""
        client = busy.client("member")
        group_id = gid(busy.groups["PRIVATE"])
        counts = []
        for size in (1, 20, 100):
            with CaptureQueriesContext(connection) as queries:
                page = client.data(FEED_PAGE, {"first": size, "groupId": group_id})
            assert len(page["feed"]["edges"]) == min(size, 31)
            counts.append(len(queries))
        assert counts[0] == counts[1] == counts[2], counts
        # The group is read in the page's own query (a subquery), not before
        # it: the group's page costs what the whole feed's page costs.
        with CaptureQueriesContext(connection) as queries:
            client.data(FEED_PAGE, {"first": 20})
        assert counts[0] == len(queries), (counts, len(queries))

    def test_the_latest_comments_are_the_three_newest_oldest_first(self, busy):
        """latestComments(count: 3): the three newest top-level comments, in
        reading order; replies stay under their comment."""
        post = Post.objects.filter(group=busy.groups["PUBLIC"]).first()
        comment_on(post, busy.users["member"], "Quatrième")
        page = busy.client("member").data(
            FEED_PAGE, {"first": 100, "groupId": gid(busy.groups["PUBLIC"])}
        )
        [node] = [
            edge["node"]
            for edge in page["feed"]["edges"]
            if edge["node"]["id"] == gid(post)
        ]
        latest = [comment["body"] for comment in node["latestComments"]]
        assert latest == ["Deuxième", "Troisième", "Quatrième"]
        assert node["commentCount"] == 5
