"""Page batches (graphql_schema/batches.py): a page's rows answer from values
fetched with the page, exactly as they answer one by one through the loaders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from strawberry.relay import from_base64
from strawberry.types.nodes import SelectedField

from graphql_schema import batches, schema  # noqa: F401 (its types declare the batches)
from graphql_schema.batches import BatchLoader
from graphql_schema.context import Context
from graphql_schema.groups.loaders import group_loaders
from social.models import (
    Department,
    Group,
    MembershipStatus,
    Poll,
    PollBallot,
    PollOption,
    Post,
    Reaction,
    ReactionKind,
    Role,
    Visibility,
)
from tests.api.test_posts import comment_on, join, make_group, publish
from tests.conftest import gid, make_user, signed_in

FIELDS = """
fragment Shown on Post {
  id body bodyHtml commentCount reactionCount reactions { kind count } viewerReaction
  author { id displayName }
  group { id name memberCount viewerRole viewerIsMember viewerHasPendingRequest
    department { name } }
  poll { id options { id text voteCount } }
  last: latestComments(count: 1) { id author { id displayName } replyCount
    reactionCount reactions { kind count } viewerReaction }
  three: latestComments(count: $count) { id }
  skipped: latestComments(count: 2) @skip(if: true) { id }
}
"""
PAGE = (
    FIELDS
    + """
query Page($count: Int!) { feed(first: 50) { edges { node { ...Shown } } } }
"""
)
ONE = (
    FIELDS
    + """
query One($id: ID!, $count: Int!) { node(id: $id) { ...Shown } }
"""
)


@pytest.fixture
def town(db):
    """Two agents, a public and a secret group, posts with comments, replies,
    reactions of both, a poll with results shown and one with results hidden."""
    ana = make_user("ana", display_name="Ana")
    bob = make_user("bob", display_name="Bob")
    public = make_group(
        "Jardins", Visibility.PUBLIC, department=Department.objects.create(name="Parcs")
    )
    secret = make_group("Conseil", Visibility.SECRET)
    join(ana, public)
    join(bob, public)
    join(ana, secret)
    posts = []
    for n in range(6):
        group = (None, public, secret)[n % 3]
        post = publish((ana, bob)[n % 2], group, f"Message {n}")
        posts.append(post)
        for k in range(n % 4):
            comment = comment_on(post, (bob, ana)[k % 2], f"Réponse {n}.{k}")
            if k == 0:
                comment_on(post, ana, "Oui", parent=comment)
                Reaction.objects.create(
                    comment=comment, user=bob, kind=ReactionKind.values[1]
                )
        Reaction.objects.create(post=post, user=ana, kind=ReactionKind.values[0])
        if n % 2:
            Reaction.objects.create(post=post, user=bob, kind=ReactionKind.values[2])
    for post, hidden in ((posts[5], False), (posts[4], True)):
        poll = Poll.objects.create(
            post=post, question="Quel jour ?", hide_results_until_closed=hidden
        )
        options = [
            PollOption.objects.create(poll=poll, position=k, text=f"Jour {k}")
            for k in range(3)
        ]
        PollBallot.objects.create(poll=poll, option=options[1], user=bob)
    return {"ana": ana, "bob": bob, "posts": posts}


def nodes(client, count=3) -> list[dict]:
    page = client.data(PAGE, {"count": count})["feed"]["edges"]
    return [edge["node"] for edge in page]


class TestSameAnswers:
    @pytest.mark.parametrize("viewer", ["ana", "bob"])
    def test_a_page_answers_as_its_posts_one_by_one(self, town, viewer):
        client = signed_in(town[viewer])
        page = nodes(client)
        assert len(page) == (6 if viewer == "ana" else 4)  # bob: no secret group
        one_by_one = [
            client.data(ONE, {"id": node["id"], "count": 3})["node"] for node in page
        ]
        assert page == one_by_one

    def test_the_values_are_the_viewers_own(self, town):
        for name in ("ana", "bob"):
            page = nodes(signed_in(town[name]))
            for node in page:
                mine = Reaction.objects.filter(
                    post_id=int(from_base64(node["id"])[1]), user=town[name]
                ).first()
                assert node["viewerReaction"] == (mine.kind if mine else None)
            assert any(node["viewerReaction"] for node in page)

    def test_hidden_results_stay_hidden_in_a_page(self, town):
        page = nodes(signed_in(town["ana"]))
        polls = {node["body"]: node["poll"] for node in page if node["poll"]}
        shown = polls["Message 5"]["options"]
        hidden = polls["Message 4"]["options"]
        assert [option["voteCount"] for option in shown] == [0, 1, 0]
        assert [option["voteCount"] for option in hidden] == [None, None, None]

    def test_arguments_by_literal_variable_alias_and_skip(self, town):
        page = nodes(signed_in(town["ana"]), count=2)
        for node in page:
            # a post with comments has a top-level one (replies need a parent)
            assert len(node["last"]) == (1 if node["commentCount"] else 0)
            assert "skipped" not in node
        three = [len(node["three"]) for node in page]
        top_level = [
            post.comments.filter(parent=None).count() for post in town["posts"]
        ]
        assert sorted(three) == sorted(min(2, n) for n in top_level)


class TestQueries:
    def test_a_top_level_page_goes_through_no_loader(self, town, monkeypatch):
        """Every batched field of the page answers from its batch: no loader
        runs (each would cost a thread hop and a task per row)."""
        loaded = []
        original = BatchLoader._load

        async def spy(self, keys):
            loaded.append((self.fetch.__name__, len(keys)))
            return await original(self, keys)

        monkeypatch.setattr(BatchLoader, "_load", spy)
        assert nodes(signed_in(town["ana"]))
        assert loaded == []
        signed_in(town["ana"]).data(ONE, {"id": gid(town["posts"][5]), "count": 3})
        assert ("_comment_counts_by_post", 1) in loaded  # one by one: loaders

    def test_a_page_costs_the_same_queries_whatever_its_size(self, town):
        client = signed_in(town["ana"])
        counts = []
        for first in (2, 4, 6):
            query = PAGE.replace("first: 50", f"first: {first}")
            with CaptureQueriesContext(connection) as queries:
                client.data(query, {"count": 3})
            counts.append(len(queries))
        assert counts[0] == counts[1] == counts[2]

    def test_a_list_inside_a_list_answers_through_the_loaders(self, town):
        """groups { posts } resolves one connection per group: those pages are
        left to the loaders (batching across groups), with the same answers."""
        client = signed_in(town["ana"])
        query = """
        query { groups(first: 10) { edges { node { posts(first: 5) { edges {
          node { id commentCount reactions { kind count } viewerReaction
            group { name memberCount viewerRole department { name } } } } } } } } }
        """
        nested = [
            edge["node"]
            for group in client.data(query)["groups"]["edges"]
            for edge in group["node"]["posts"]["edges"]
        ]
        assert len(nested) == 4
        departments = [node["group"]["department"] for node in nested]
        assert {"name": "Parcs"} in departments  # the public group's; not the other's
        single = """query One($id: ID!) { node(id: $id) { ... on Post {
          id commentCount reactions { kind count } viewerReaction
          group { name memberCount viewerRole department { name } } } } }"""
        assert nested == [
            client.data(single, {"id": node["id"]})["node"] for node in nested
        ]
        counts = []
        for first in (1, 2):
            with CaptureQueriesContext(connection) as queries:
                client.data(
                    query.replace("groups(first: 10)", f"groups(first: {first})")
                )
            counts.append(len(queries))
        assert counts[0] == counts[1]


REPEATED = {
    "a fragment repeating a nested field": """
        fragment F on Post { poll { options { id } } }
        query { feed(first: 50) { edges { node {
          id poll { options { voteCount } } ...F } } } }""",
    "aliases of one nested field": """
        query { feed(first: 50) { edges { node {
          id a: poll { options { voteCount } } b: poll { options { id } } } } } }""",
    "aliases with the same arguments": """
        query { feed(first: 50) { edges { node { id
          a: latestComments(count: 1) { replyCount }
          b: latestComments(count: 1) { replyCount } } } } }""",
    "aliases with other arguments": """
        query { feed(first: 50) { edges { node { id
          a: latestComments(count: 1) { replyCount }
          b: latestComments(count: 2) { author { displayName } } } } } }""",
    "a skipped fragment": """
        fragment F on Post { poll { options { voteCount } } latestComments { id } }
        query { feed(first: 50) { edges { node { id ...F @skip(if: true) } } } }""",
    "a variable left out": """
        query Page($c: Int) { feed(first: 50) { edges { node {
          id latestComments(count: $c) { id } } } } }""",
}


def answer_and_count(client, query) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        data = client.data(query)
    return data, len(queries)


class TestAgainstTheLoaders:
    """Each query answered with page batches and through the loaders alone (as
    inside a list): the same answer, and never more SQL with the batches."""

    @pytest.mark.parametrize("shape", list(REPEATED))
    def test_no_more_queries_than_the_loaders(self, town, monkeypatch, shape):
        client = signed_in(town["ana"])
        batched, batched_count = answer_and_count(client, REPEATED[shape])
        monkeypatch.setattr(batches, "in_a_list", lambda path: True)
        loaded, loaded_count = answer_and_count(client, REPEATED[shape])
        assert batched == loaded
        assert batched_count <= loaded_count, (batched_count, loaded_count)

    def test_a_skipped_field_costs_nothing(self, town):
        client = signed_in(town["ana"])
        _, skipped = answer_and_count(client, REPEATED["a skipped fragment"])
        _, bare = answer_and_count(
            client, "query { feed(first: 50) { edges { node { id } } } }"
        )
        assert skipped == bare

    def test_a_variable_left_out_is_batched_with_its_default(self, town, monkeypatch):
        loaded = []
        original = BatchLoader._load

        async def spy(self, keys):
            loaded.append(self.fetch.__name__)
            return await original(self, keys)

        monkeypatch.setattr(BatchLoader, "_load", spy)
        page = signed_in(town["ana"]).data(REPEATED["a variable left out"])
        assert max(len(e["node"]["latestComments"]) for e in page["feed"]["edges"]) == 3
        assert loaded == []

    def test_a_list_inside_a_list_runs_no_page_batch(self, town, monkeypatch):
        """A connection under a list item resolves once per item: its rows are
        left to the loaders, which batch across the items."""
        ran = []
        original = batches.run

        def spy(rows, selections, context):
            ran.extend(type(row).__name__ for row in rows)
            return original(rows, selections, context)

        monkeypatch.setattr(batches, "run", spy)
        client = signed_in(town["ana"])
        client.data(
            "query { groups(first: 10) { edges { node { posts(first: 5) { edges {"
            " node { id commentCount } } } } } } }"
        )
        assert "Post" not in ran  # the groups' page itself is batched
        ran.clear()
        client.data("query { feed(first: 50) { edges { node { id commentCount } } } }")
        assert ran == ["Post"] * 6

    def test_a_failing_fetch_fails_its_fields_alone(self, town, monkeypatch):
        """A batch whose fetch raises leaves its field to the loader, which
        fails that field only, as without a batch."""
        from graphql_schema.posts.loaders import Loaders

        def broken(self, keys):
            raise RuntimeError("broken")

        monkeypatch.setattr(Loaders, "_viewer_reactions_by_post", broken)
        response = signed_in(town["ana"]).execute(
            "query { feed(first: 50) { edges { node { id commentCount"
            " viewerReaction } } } }"
        )
        edges = response["data"]["feed"]["edges"]
        assert len(edges) == 6
        assert all(edge["node"]["commentCount"] is not None for edge in edges)
        assert all(edge["node"]["viewerReaction"] is None for edge in edges)
        assert len(response["errors"]) == 6


NESTED_FIELDS = """
fragment Page on PostConnection { totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id body isPinned commentCount reactionCount
    viewerReaction author { id displayName } group { id name }
    poll { id options { id text voteCount } }
    latestComments(count: 2) { id author { displayName } replyCount } } } }
fragment Members on GroupMemberConnection { totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id role createdAt user { id displayName } } } }
"""
NESTED = (
    NESTED_FIELDS
    + """
query Groups($groups: Int!, $first: Int, $last: Int, $after: String) {
  groups(first: $groups) { edges { node { id name
    posts(first: $first, last: $last, after: $after) { ...Page }
    members(first: $first, last: $last) { ...Members } } } } }
"""
)
ALONE = (
    NESTED_FIELDS
    + """
query Group($id: ID!, $first: Int, $last: Int, $after: String) {
  node(id: $id) { ... on Group { id name
    posts(first: $first, last: $last, after: $after) { ...Page }
    members(first: $first, last: $last) { ...Members } } } }
"""
)


@pytest.fixture
def groups_town(db):
    """Seven groups of every visibility, with 6 to 0 posts each (some pinned,
    commented, reacted to, with a poll); bob is a member of them all, ana of
    some, and root, an organisation administrator, of none."""
    ana = make_user("ana", display_name="Ana")
    bob = make_user("bob", display_name="Bob")
    admin = make_user("root", display_name="Root", role=Role.ADMIN)
    visibilities = [Visibility.PUBLIC, Visibility.PRIVATE, Visibility.SECRET]
    for n in range(7):
        group = make_group(f"Groupe {n}", visibilities[n % 3])
        join(bob, group)
        if n % 2 == 0:
            join(ana, group)
        for k in range(6 - n):  # more members, and requests to join
            status = (MembershipStatus.ACTIVE, MembershipStatus.PENDING)[k % 2]
            join(make_user(f"agent{n}{k}"), group, status=status)
        for k in range(6 - n):
            post = publish(bob, group, f"Message {n}.{k}", is_pinned=(k == 1))
            if k % 2:
                comment_on(post, ana if n % 2 == 0 else bob, f"Réponse {n}.{k}")
                Reaction.objects.create(
                    post=post, user=bob, kind=ReactionKind.values[0]
                )
            if k == 2:
                poll = Poll.objects.create(post=post, question="Quand ?")
                PollOption.objects.create(poll=poll, position=0, text="Lundi")
    return {"ana": ana, "bob": bob, "root": admin}


class TestConnectionsInAList:
    """`groups { posts }`: every group's page of posts in one query, the same
    pages as group by group, and as many queries for 2 groups as for 7."""

    @pytest.mark.parametrize("viewer", ["ana", "bob", "root"])
    @pytest.mark.parametrize(
        ("first", "last"), [(None, None), (2, None), (None, 2), (3, 2)]
    )
    def test_each_group_answers_as_alone(self, groups_town, viewer, first, last):
        client = signed_in(groups_town[viewer])
        page = {"first": first, "last": last}
        listed = client.data(NESTED, {"groups": 10, **page})
        groups = [edge["node"] for edge in listed["groups"]["edges"]]
        # outsiders see the private groups, empty, and never the secret ones
        assert len(groups) == {"ana": 6, "bob": 7, "root": 5}[viewer]
        assert any(group["posts"]["edges"] for group in groups)
        for group in groups:
            alone = client.data(ALONE, {"id": group["id"], **page})["node"]
            assert group == alone

    def test_after_a_cursor_each_group_answers_as_alone(self, groups_town):
        client = signed_in(groups_town["bob"])
        first = client.data(ALONE, {"id": gid(Group.objects.get(name="Groupe 0"))})
        cursor = first["node"]["posts"]["edges"][2]["cursor"]
        listed = client.data(NESTED, {"groups": 10, "first": 2, "after": cursor})
        for edge in listed["groups"]["edges"]:
            group = edge["node"]
            alone = client.data(
                ALONE, {"id": group["id"], "first": 2, "after": cursor}
            )["node"]
            assert group == alone

    def test_the_queries_do_not_grow_with_the_groups(self, groups_town):
        client = signed_in(groups_town["bob"])
        counts = []
        for groups in (2, 4, 7):
            with CaptureQueriesContext(connection) as queries:
                data = client.data(NESTED, {"groups": groups})
            assert len(data["groups"]["edges"]) == groups
            counts.append(len(queries))
        assert counts[0] == counts[1] == counts[2], counts

    def test_a_bad_cursor_is_the_clients_error_in_each_group(self, groups_town):
        client = signed_in(groups_town["bob"])
        response = client.execute(
            NESTED, {"groups": 3, "first": 2, "after": "not-a-cursor"}
        )
        codes = {error["extensions"]["code"] for error in response["errors"]}
        assert codes == {"BAD_USER_INPUT"}, response["errors"]
        assert response["data"] is None


class TestRun:
    """The rules underneath, without GraphQL."""

    def test_in_a_list_follows_the_path(self):
        class Path:
            def __init__(self, prev, key):
                self.prev, self.key = prev, key

        feed = Path(None, "feed")
        assert not batches.in_a_list(feed)
        assert not batches.in_a_list(Path(Path(None, "group"), "posts"))
        assert batches.in_a_list(Path(Path(Path(None, "groups"), 3), "posts"))

    def test_run_attaches_what_is_selected_for_rows_of_its_models(self, town):
        post = Post.objects.filter(group=None).first()
        context = Context(request=None, viewer=town["ana"])
        count = SelectedField("commentCount", {}, {}, [])
        with CaptureQueriesContext(connection) as queries:
            batches.run([post], [count], context)
        assert len(queries) == 1
        loader = context.loaders.comment_counts_by_post
        assert loader.get(post, post.pk) == post.comments.count()
        with CaptureQueriesContext(connection) as queries:
            batches.run([town["ana"]], [count], context)  # not a batched model
            batches.run([post], [SelectedField("body", {}, {}, [])], context)
        assert len(queries) == 0

    def test_run_fetches_nothing_for_rows_without_a_key(self, town, monkeypatch):
        """Comments read with their authors joined have no author key: their
        batch calls no fetch at all (building its queryset costs as much as a
        small query), and the authors still answer."""
        context = Context(request=None, viewer=town["ana"])
        comments = context.loaders.latest_comments_by_post.values(
            [(post.pk, 3) for post in town["posts"]]
        )
        comments = [comment for found in comments for comment in found]
        assert comments
        fetched = []
        loader = context.loaders.users_by_id
        monkeypatch.setattr(loader, "fetch", lambda keys: fetched.append(keys) or {})
        batches.run(comments, [SelectedField("author", {}, {}, [])], context)
        assert fetched == []
        post = Post.objects.filter(author__is_active=True).first()
        batches.run([post], [SelectedField("author", {}, {}, [])], context)
        assert fetched == [[post.author_id]]

    def test_a_posts_group_is_read_with_what_is_selected_on_it(self, town):
        """The groups of a page come in one query that adds only what the page
        selects on them: a member count, the viewer's place, the department;
        a load (no page) reads it all, and both answer alike."""
        context = Context(request=None, viewer=town["ana"])
        posts: list[Post] = []

        def group_query(*below) -> str:
            posts[:] = Post.objects.filter(group__isnull=False)  # rows of a page
            with CaptureQueriesContext(connection) as queries:
                batches.run(
                    posts, [SelectedField("group", {}, {}, list(below))], context
                )
            assert len(queries) == 1, [query["sql"] for query in queries]
            return queries[0]["sql"]

        def field(name: str, *below) -> SelectedField:
            return SelectedField(name, {}, {}, list(below))

        plain = group_query(field("id"), field("name"))
        assert "annotated_" not in plain
        assert "social_department" not in plain
        counted = group_query(field("memberCount"))
        assert "annotated_member_count" in counted
        assert "annotated_viewer_role" not in counted
        placed = group_query(field("viewerIsMember"), field("department", field("id")))
        assert "annotated_viewer_status" in placed
        assert "social_department" in placed
        assert "annotated_member_count" not in placed
        loader = group_loaders(context).groups_by_id
        batched = {post.group_id: loader.get(post, post.group_id) for post in posts}
        loaded = loader.values(list(batched))
        for group, alone in zip(batched.values(), loaded, strict=True):
            assert group == alone
            assert group.department == alone.department
            assert group.annotated_viewer_status == alone.annotated_viewer_status
            members = group.memberships.filter(
                status=MembershipStatus.ACTIVE, user__is_active=True
            )
            assert alone.annotated_member_count == members.count()

    def test_run_fetches_a_repeated_nested_field_once(self, town):
        """poll { options { voteCount } } and poll { options { id } } on the
        same rows: polls, options and vote counts, one query each."""
        posts = list(Post.objects.filter(poll__isnull=False))
        context = Context(request=None, viewer=town["ana"])

        def poll(*below):
            return SelectedField(
                "poll", {}, {}, [SelectedField("options", {}, {}, list(below))]
            )

        with CaptureQueriesContext(connection) as queries:
            batches.run(
                posts,
                [
                    poll(SelectedField("voteCount", {}, {}, [])),
                    poll(SelectedField("id", {}, {}, [])),
                ],
                context,
            )
        assert len(queries) == 3, [query["sql"] for query in queries]

    def test_a_closed_poll_shows_its_results_in_a_page(self, town):
        """A batched poll keeps its rule: results hidden until it closes, and
        shown once it has (the page reads the poll as it is now)."""
        poll = Poll.objects.get(hide_results_until_closed=True)
        poll.closed_at = timezone.now()
        poll.save()
        page = nodes(signed_in(town["ana"]))
        polls = {node["body"]: node["poll"] for node in page if node["poll"]}
        counts = [option["voteCount"] for option in polls["Message 4"]["options"]]
        assert counts == [0, 1, 0]
        assert gid(poll) == polls["Message 4"]["id"]
