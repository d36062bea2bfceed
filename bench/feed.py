"""The feed page: the GraphQL API against hand-written Django code (its floor).

`FEED_PAGE` is what a phone shows for each post of a page. `graphql_feed_page`
runs it in-process through the real schema with a real viewer context;
`floor_feed_page` runs the same SQL queries through the ORM by hand and builds
the same JSON. tests/bench/test_feed_floor.py checks that both give the same data
with the same number of SQL queries, so that the two cannot drift.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.test import RequestFactory
from django.utils import timezone
from strawberry.relay import to_base64

from bench.harness import Result, measure, scenario
from social import access
from social.models import (
    Comment,
    Department,
    Group,
    Membership,
    Poll,
    PollBallot,
    PollOption,
    Post,
    Reaction,
    ReactionKind,
    User,
)
from social.selectors.feed import FEED_PINNED, feed_for, pinned_rank

FEED_PAGE = """
query FeedPage($first: Int!) {
  feed(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id bodyHtml createdAt
        author { id displayName }
        group { id name }
        commentCount
        reactions { kind count }
        viewerReaction
        poll { id question options { id text voteCount } }
        latestComments(count: 3) { id bodyHtml createdAt author { id displayName } }
      }
    }
  }
}
"""
PAGE_SIZE = 20
LATEST = 3
REACTION_ORDER = tuple(ReactionKind.values)


# --- Data ---------------------------------------------------------------------------


def seed_feed(posts: int = 400, users: int = 60, seed: int = 9) -> User:
    """A town hall with `users` agents, 8 groups and `posts` posts with comments,
    replies, reactions and polls; returns the viewer (a member of 5 groups)."""
    rng = random.Random(seed)
    departments = [
        Department.objects.create(name=f"Service {n}", slug=f"service-{n}")
        for n in range(6)
    ]
    people = User.objects.bulk_create(
        User(
            username=f"agent{n}",
            display_name=f"Agent Numéro {n}",
            department=departments[n % 6],
            job_title="Agent",
        )
        for n in range(users)
    )
    viewer = people[0]
    groups = [
        Group.objects.create(
            name=f"Groupe {n}",
            slug=f"groupe-{n}",
            kind="TOPIC",
            visibility=("PUBLIC", "PRIVATE", "SECRET")[n % 3],
        )
        for n in range(8)
    ]
    Membership.objects.bulk_create(
        Membership(group=group, user=user)
        for group in groups
        for user in people
        if (group.pk + user.pk) % 3 == 0 or (user == viewer and group.pk % 8 < 5)
    )
    now = timezone.now()
    body = (
        "<p>Bonjour à <strong>toutes et tous</strong> : la réunion a lieu demain.</p>"
    )
    made = Post.objects.bulk_create(
        Post(
            author=rng.choice(people),
            group=rng.choice([None, None, *groups]),
            body="Bonjour",
            body_html=body,
            is_pinned=n % 97 == 0,
            created_at=now - timedelta(minutes=n),
        )
        for n in range(posts)
    )
    comments = Comment.objects.bulk_create(
        Comment(
            post=post,
            author=rng.choice(people),
            body="Merci",
            body_html="<p>Merci, bien reçu.</p>",
            created_at=post.created_at + timedelta(seconds=k),
        )
        for post in made
        for k in range(rng.randint(0, 6))
    )
    Comment.objects.bulk_create(
        Comment(
            post=comment.post,
            parent=comment,
            author=rng.choice(people),
            body="D'accord",
            body_html="<p>D'accord</p>",
        )
        for comment in comments
        if rng.random() < 0.3
    )
    kinds = ReactionKind.values
    Reaction.objects.bulk_create(
        Reaction(post=post, user=user, kind=rng.choice(kinds))
        for post in made
        for user in rng.sample(people, rng.randint(0, 12))
    )
    polls = Poll.objects.bulk_create(
        Poll(post=post, question="Quel jour vous convient ?")
        for post in made
        if rng.random() < 0.25
    )
    options = PollOption.objects.bulk_create(
        PollOption(poll=poll, position=k, text=f"Jour {k + 1}")
        for poll in polls
        for k in range(rng.randint(2, 4))
    )
    by_poll = defaultdict(list)
    for option in options:
        by_poll[option.poll_id].append(option)
    PollBallot.objects.bulk_create(
        PollBallot(poll_id=poll_id, option=rng.choice(choices), user=user)
        for poll_id, choices in by_poll.items()
        for user in rng.sample(people, rng.randint(0, 15))
    )
    return viewer


# --- The subject: GraphQL in-process ------------------------------------------------


def graphql_context(viewer: User):
    from graphql_schema.context import Context

    request = RequestFactory().post("/graphql/")
    request.user = viewer
    return Context(request=request, viewer=viewer)


async def _execute(viewer: User, first: int) -> dict:
    from graphql_schema.schema import schema

    result = await schema.execute(
        FEED_PAGE,
        variable_values={"first": first},
        context_value=graphql_context(viewer),
    )
    assert not result.errors, result.errors
    return result.data


def graphql_feed_page(viewer: User, first: int = PAGE_SIZE) -> dict:
    """The `data` of FEED_PAGE, executed by the schema as the HTTP view does."""
    return async_to_sync(_execute)(viewer, first)


# --- Where the subject's time goes ----------------------------------------------------


def loop_cpu_ms(viewer: User, repeat: int, first: int = PAGE_SIZE) -> float:
    """The median CPU time of the event-loop thread for one page: GraphQL
    execution and the resolvers that run on the loop, without the sync work
    (queries, querysets), which `sync_to_async` runs on another thread."""
    samples: list[float] = []

    async def timed() -> None:
        started = time.thread_time()
        await _execute(viewer, first)
        samples.append(time.thread_time() - started)

    for _ in range(repeat):
        async_to_sync(timed)()
    return statistics.median(samples) * 1000


def async_to_sync_ms(repeat: int) -> float:
    """The median time `async_to_sync` takes around a coroutine that does
    nothing: what `graphql_feed_page` pays on each call for running the schema
    from sync code (a new event loop in a thread), which a server, whose loop
    is already running, does not pay. Reported beside the ratio, not taken
    out of it."""

    async def nothing() -> None:
        return None

    samples: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        async_to_sync(nothing)()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def graphql_core_ms(viewer: User, repeat: int, first: int = PAGE_SIZE) -> float:
    """The median time graphql-core alone takes to execute FEED_PAGE over the
    floor's finished JSON (the schema's SDL, default resolvers, no database):
    what the GraphQL layer costs at the very least."""
    from graphql import build_schema, execute, parse

    from graphql_schema.schema import schema

    core = build_schema(str(schema))
    document = parse(FEED_PAGE)
    data = floor_feed_page(viewer, first)
    samples: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = execute(
            core, document, root_value=data, variable_values={"first": first}
        )
        samples.append(time.perf_counter() - started)
        assert not result.errors, result.errors
        assert result.data == data
    return statistics.median(samples) * 1000


# --- The floor: the same queries, by hand ---------------------------------------------


def _iso(moment) -> str:
    return moment.isoformat() if moment else None


def _user(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": to_base64("User", user.pk), "displayName": user.display_name}


def _group(group: Group | None) -> dict | None:
    if group is None:
        return None
    return {"id": to_base64("Group", group.pk), "name": group.name}


def _cursor(post: Post) -> str:
    # DjangoCursorConnection's cursor: the ordering values, as JSON strings.
    values = [str(post.pinned_first), post.created_at.isoformat(), str(post.pk)]
    return to_base64("orderedcursor", json.dumps(values, separators=(",", ":")))


def floor_feed_page(viewer: User, first: int = PAGE_SIZE) -> dict:
    """What FEED_PAGE answers, built by hand from the same SQL queries."""
    # 1. The page (one more row tells hasNextPage), 2. its groups, read through
    # access.group_visible_to as every read of a group is (ARCHITECTURE.md).
    page = list(
        access.post_visible_to(viewer, feed_for(viewer))
        .only("body_html", "created_at", "author_id", "group_id")
        .annotate(pinned_first=pinned_rank(FEED_PINNED))[: first + 1]  # the cursor's
    )
    has_next = len(page) > first
    page = page[:first]
    ids = [post.pk for post in page]
    groups = {
        group.pk: group
        for group in access.group_visible_to(viewer)
        .filter(pk__in={post.group_id for post in page if post.group_id})
        .only("name")
    }
    # 2. Comment counts.
    comment_counts = dict(
        Comment.objects.filter(post_id__in=ids)
        .values("post_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("post_id", "n")
    )
    # 3. Reactions by kind.
    reactions: dict[int, dict[str, int]] = defaultdict(dict)
    for post_id, kind, n in (
        Reaction.objects.filter(post_id__in=ids)
        .values("post_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("post_id", "kind", "n")
    ):
        reactions[post_id][kind] = n
    # 4. The viewer's reactions.
    mine = dict(
        Reaction.objects.filter(user_id=viewer.pk, post_id__in=ids).values_list(
            "post_id", "kind"
        )
    )
    # 5. Polls, 6. their options, 7. vote counts.
    polls = {
        poll.post_id: poll
        for poll in access.poll_visible_to(viewer).filter(post_id__in=ids)
    }
    options: dict[int, list[PollOption]] = defaultdict(list)
    for option in PollOption.objects.filter(
        poll_id__in=[poll.pk for poll in polls.values()]
    ).order_by("poll_id", "position"):
        options[option.poll_id].append(option)
    now = timezone.now()
    shown = {
        poll.pk for poll in polls.values() if access.can_see_poll_results(poll, now)
    }
    votes = dict(
        PollBallot.objects.filter(
            option_id__in=[
                option.pk
                for poll_id, found in options.items()
                if poll_id in shown
                for option in found
            ]
        )
        .values("option_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("option_id", "n")
    )
    # 8. The latest comments, with their authors joined (and whether the viewer
    # may see each author, by access.user_visible_to).
    latest: dict[int, list[Comment]] = defaultdict(list)
    for comment in (
        access.comment_visible_to(viewer)
        .filter(post_id__in=ids, parent__isnull=True)
        .select_related("author__department", "author__site")
        .annotate(
            author_visible=Exists(
                access.user_visible_to(viewer).filter(pk=OuterRef("author_id"))
            )
        )
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("post_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(recency__lte=LATEST)
        .order_by("post_id", "created_at", "pk")
    ):
        latest[comment.post_id].append(comment)
    # 9. The authors of the posts.
    authors = {
        user.pk: user
        for user in access.user_visible_to(viewer)
        .filter(pk__in={post.author_id for post in page})
        .select_related("department", "site")
    }

    def poll_json(post: Post) -> dict | None:
        poll = polls.get(post.pk)
        if poll is None:
            return None
        return {
            "id": to_base64("Poll", poll.pk),
            "question": poll.question,
            "options": [
                {
                    "id": to_base64("PollOption", option.pk),
                    "text": option.text,
                    "voteCount": votes.get(option.pk, 0) if poll.pk in shown else None,
                }
                for option in options[poll.pk]
            ],
        }

    edges = [
        {
            "node": {
                "id": to_base64("Post", post.pk),
                "bodyHtml": post.body_html,
                "createdAt": _iso(post.created_at),
                "author": _user(authors.get(post.author_id)),
                "group": _group(groups.get(post.group_id)),
                "commentCount": comment_counts.get(post.pk, 0),
                "reactions": [
                    {"kind": kind, "count": reactions[post.pk][kind]}
                    for kind in REACTION_ORDER
                    if reactions[post.pk].get(kind)
                ],
                "viewerReaction": mine.get(post.pk),
                "poll": poll_json(post),
                "latestComments": [
                    {
                        "id": to_base64("Comment", comment.pk),
                        "bodyHtml": comment.body_html,
                        "createdAt": _iso(comment.created_at),
                        "author": _user(
                            comment.author if comment.author_visible else None
                        ),
                    }
                    for comment in latest[post.pk]
                ],
            }
        }
        for post in page
    ]
    return {
        "feed": {
            "pageInfo": {
                "hasNextPage": has_next,
                "endCursor": _cursor(page[-1]) if page else None,
            },
            "edges": edges,
        }
    }


# --- The scenario ---------------------------------------------------------------------


@scenario("feed")
def feed_scenario(options) -> list[Result]:
    """The feed page in-process: GraphQL against the hand-written floor."""
    viewer = seed_feed()
    assert graphql_feed_page(viewer) == floor_feed_page(viewer)
    result = measure(
        "feed page (in-process)",
        subject=lambda: graphql_feed_page(viewer),
        floor=lambda: floor_feed_page(viewer),
        repeat=options.repeat,
        same_sql=not options.allow_sql_mismatch,
    )
    loop, core = loop_cpu_ms(viewer, options.repeat), graphql_core_ms(viewer, 200)
    harness = async_to_sync_ms(200)
    result.extra.update(
        loop_cpu_ms=round(loop, 2),
        loop_cpu_to_floor=round(loop / result.floor_median, 2),
        graphql_core_ms=round(core, 2),
        graphql_core_to_floor=round(core / result.floor_median, 2),
        async_to_sync_ms=round(harness, 2),
        async_to_sync_to_floor=round(harness / result.floor_median, 3),
    )
    return [result]
