"""Direct resolvers (graphql_schema/direct.py): the fields that skip Strawberry's
per-field work answer exactly what Strawberry's own resolvers answer, for every
kind of viewer, and the feed page's fields are among them."""

import inspect
from contextlib import contextmanager
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.utils import timezone
from graphql import (
    GraphQLObjectType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    visit,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry_django.optimizer import DjangoOptimizerExtension

from bench.feed import FEED_PAGE
from graphql_schema.direct import DirectExecutor, Optimizer, install
from graphql_schema.schema import DIRECT_FIELDS, schema
from social.models import (
    Department,
    Group,
    GroupRole,
    Invitation,
    Membership,
    MembershipStatus,
    Participant,
    Post,
    Role,
    Site,
    Visibility,
)
from tests.conftest import gid, make_user, signed_in

USER = "id username displayName firstName lastName jobTitle role isActive lastSeenAt"
COMMENT = f"""id body bodyHtml createdAt editedAt author {{ {USER} }} replyCount
  reactionCount reactions {{ kind count }} viewerReaction"""
EVERYTHING = f"""
query Everything {{
  viewer {{ {USER} department {{ id name slug }} site {{ id name address }} }}
  organization {{ name departments {{ id name slug }} sites {{ id name address }} }}
  groups(first: 50) {{ edges {{ node {{
    id name slug description kind visibility createdAt department {{ id name }}
    members(first: 3) {{ edges {{ node {{
      id role createdAt user {{ id department {{ id }} site {{ id }} }} group {{ id }}
    }} }} }}
  }} }} }}
  feed(first: 40) {{ edges {{ node {{
    id body bodyHtml createdAt editedAt isAnnouncement isPinned
    author {{ {USER} }} group {{ id name }} commentCount reactionCount
    reactions {{ kind count }} viewerReaction
    poll {{ id question isMultipleChoice isAnonymous isQuiz hideResultsUntilClosed
      closesAt closedAt createdAt options {{ id text voteCount }} }}
    latestComments(count: 3) {{ {COMMENT} }}
    comments(first: 3) {{ edges {{ node {{ {COMMENT}
      replies(first: 3) {{ edges {{ node {{ {COMMENT} }} }} }} }} }} }}
  }} }} }}
  conversations(first: 20) {{ edges {{ node {{
    id kind createdAt updatedAt
    messages(last: 5) {{ edges {{ node {{
      id sequence body bodyHtml createdAt editedAt deletedAt author {{ id }}
    }} }} }}
  }} }} }}
}}
"""
INVITATION = """
query Invitation($id: ID!) {
  node(id: $id) { ... on Invitation { id displayName firstName lastName jobTitle
    role phone email createdAt expiresAt acceptedAt department { id name }
    site { id name } user { id } } }
}
"""


@contextmanager
def strawberrys_own_resolvers():
    """The schema as it was before direct.install: every field with the
    resolver Strawberry gave it, strawberry-django's optimizer with its
    middleware around every field, and Strawberry's own executor. What the
    direct resolvers (and the executor's direct leaves) must answer like."""
    saved = [
        (field, field.resolve)
        for graphql_type in schema._schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType)
        for field in graphql_type.fields.values()
        if hasattr(field.resolve, "strawberry_resolver")
    ]
    extensions = schema.extensions
    executor = schema.execution_context_class
    for field, resolve in saved:
        field.resolve = resolve.strawberry_resolver
    schema.extensions = tuple(
        DjangoOptimizerExtension if extension is Optimizer else extension
        for extension in extensions
    )
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        yield
    finally:
        schema.extensions = extensions
        schema.execution_context_class = executor
        for field, resolve in saved:
            field.resolve = resolve


def selected_fields(document: str) -> set[str]:
    """Every "Type.field" that `document` selects, on the schema's types."""
    info = TypeInfo(schema._schema)
    found: set[str] = set()

    class Fields(Visitor):
        def enter_field(self, node, *args):
            parent = info.get_parent_type()
            if parent is not None:
                found.add(f"{parent.name}.{node.name.value}")

    visit(parse(document), TypeInfoVisitor(info, Fields()))
    return found


@pytest.fixture
def town(db):
    """The demo town hall, a secret group, an invitation and four viewers."""
    call_command("seed_demo", force=True, verbosity=0)
    secret = Group.objects.filter(visibility=Visibility.SECRET).first()
    admin = make_user("orgadmin", role=Role.ADMIN, display_name="Admin")
    outsider = make_user("outsider", display_name="Outsider")
    # A plain member of groups who takes part in a conversation.
    member = (
        Participant.objects.filter(
            user__role=Role.AGENT,
            user__memberships__status=MembershipStatus.ACTIVE,
            user__memberships__role=GroupRole.MEMBER,
        )
        .select_related("user")
        .first()
        .user
    )
    group_admin = (
        Membership.objects.filter(
            status=MembershipStatus.ACTIVE, role__in=[GroupRole.ADMIN, GroupRole.OWNER]
        )
        .select_related("user")
        .first()
        .user
    )
    invitation = Invitation.objects.create(
        display_name="Nina Rose",
        first_name="Nina",
        last_name="Rose",
        phone="+33600000000",
        code_hash="0" * 64,
        created_by=admin,
        department=Department.objects.first(),
        site=Site.objects.first(),
        user=outsider,
        accepted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {
        "viewers": {
            "outsider": outsider,
            "member": member,
            "group admin": group_admin,
            "organisation admin": admin,
        },
        "secret": secret,
        "invitation": invitation,
    }


def test_the_documents_below_reach_every_direct_field():
    """Each direct field is compared below: a new one needs a query here."""
    covered = selected_fields(EVERYTHING) | selected_fields(INVITATION)
    direct = {name for names in DIRECT_FIELDS.values() for name in names}
    assert direct - covered == set()


def test_the_feed_pages_fields_are_direct():
    """What a phone shows of each post skips Strawberry's per-field work
    (the bench's feed page): ids, columns and the batched fields."""
    direct = {name for names in DIRECT_FIELDS.values() for name in names}
    on_models = {
        name
        for name in selected_fields(FEED_PAGE)
        if name.split(".")[0]
        in {"Post", "User", "Group", "Poll", "PollOption", "Comment"}
    }
    assert on_models - direct == set()


def test_fields_with_their_own_work_keep_strawberrys_resolver():
    """Connections (an extension pages them), async resolvers and rules that
    need a query (email is for oneself and administrators) are not direct."""
    direct = {name for names in DIRECT_FIELDS.values() for name in names}
    for name in (
        "Post.comments",
        "Group.members",
        "Comment.post",
        "User.email",
        "User.phone",
        "Post.viewerCanDelete",
        "Invitation.code",
    ):
        assert name not in direct


@pytest.mark.parametrize(
    "viewer", ["outsider", "member", "group admin", "organisation admin"]
)
def test_direct_fields_answer_as_strawberrys_own_resolvers(town, viewer):
    # given
    client = signed_in(town["viewers"][viewer])
    invitation = {"id": gid(town["invitation"])}
    # when
    answer = client.execute(EVERYTHING)
    answer_invitation = client.execute(INVITATION, invitation)
    with strawberrys_own_resolvers():
        expected = client.execute(EVERYTHING)
        expected_invitation = client.execute(INVITATION, invitation)
    # then
    assert "errors" not in expected
    assert answer == expected
    assert answer["data"]["feed"]["edges"]
    if viewer == "member":
        assert answer["data"]["conversations"]["edges"]
    assert answer_invitation == expected_invitation
    shown = answer_invitation["data"]["node"]
    assert (shown is not None) == (viewer == "organisation admin")


def test_a_secret_groups_posts_stay_hidden_from_an_outsider(town):
    """The direct fields read rows the rules already chose: an outsider's feed
    holds no post of the secret group, and its columns do not show."""
    secret = town["secret"]
    hidden = set(Post.objects.filter(group=secret).values_list("body", flat=True))
    assert hidden
    data = signed_in(town["viewers"]["outsider"]).data(EVERYTHING)
    bodies = {edge["node"]["body"] for edge in data["feed"]["edges"]}
    assert bodies
    assert not bodies & hidden
    names = {edge["node"]["name"] for edge in data["groups"]["edges"]}
    assert secret.name not in names


def test_a_deferred_column_is_read_by_the_fields_own_resolver(db):
    """A row read without a column (`only`) gets it from strawberry-django's
    resolver, which fetches it, as before the direct resolvers."""
    author = make_user("writer")
    post = Post.objects.create(author=author, body="Hello", body_html="<p>Hello</p>")
    row = Post.objects.only("id").get(pk=post.pk)
    assert "body_html" not in row.__dict__
    resolve = schema._schema.type_map["Post"].fields["bodyHtml"].resolve
    assert resolve(row, None) == "<p>Hello</p>"


def test_the_baseline_is_strawberrys_own_schema():
    """The comparison above really swaps back every resolver and the
    middleware: inside it no field is direct or hooked, and the optimizer is
    strawberry-django's own."""
    with strawberrys_own_resolvers():
        assert DjangoOptimizerExtension in schema.extensions
        assert Optimizer not in schema.extensions
        assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
        for graphql_type in schema._schema.type_map.values():
            if isinstance(graphql_type, GraphQLObjectType):
                for field in graphql_type.fields.values():
                    assert not hasattr(field.resolve, "strawberry_resolver")
    assert Optimizer in schema.extensions
    assert schema.execution_context_class is DirectExecutor


def test_install_runs_once():
    """A second install would wrap the hooked fields twice."""
    with pytest.raises(ValueError, match="already"):
        install(schema)


def test_install_refuses_a_schema_with_exception_handlers(monkeypatch):
    """Exception handlers run in Strawberry's resolver: a direct one would skip
    them, so such a schema is refused rather than served wrong (and nothing of
    it is changed)."""
    converter = schema.schema_converter
    monkeypatch.setattr(converter, "_exception_handler_specs", [(ValueError,)])
    with pytest.raises(ValueError, match="exception handlers"):
        install(schema)


def test_a_relation_not_read_with_the_row_is_read_by_the_fields_own_resolver(db):
    """A row whose group was not joined or prefetched gets it from
    strawberry-django's resolver, which fetches it."""
    author = make_user("writer")
    group = Group.objects.create(name="Jardins", slug="jardins", created_by=author)
    membership = Membership.objects.create(group=group, user=author)
    row = Membership.objects.get(pk=membership.pk)
    assert not Membership.group.is_cached(row)
    resolve = schema._schema.type_map["GroupMember"].fields["group"].resolve
    assert resolve(row, None) == group


def test_a_deferred_column_on_the_event_loop_is_read_off_it(db):
    """On the event loop (as over HTTP and WebSocket), the fallback of a
    deferred column is strawberry-django's, which reads it in a thread: no
    query runs on the loop (SynchronousOnlyOperation otherwise)."""
    author = make_user("writer")
    post = Post.objects.create(author=author, body="Hello", body_html="<p>Hi</p>")
    row = Post.objects.only("id").get(pk=post.pk)
    resolve = schema._schema.type_map["Post"].fields["bodyHtml"].resolve

    async def on_the_loop():
        value = resolve(row, None)
        assert inspect.isawaitable(value)
        return await value

    assert async_to_sync(on_the_loop)() == "<p>Hi</p>"


def test_the_feed_pages_leaves_are_read_without_a_resolve_info(town, monkeypatch):
    """The executor reads the page's columns, ids and basic fields (a reaction's
    kind and count) straight off their rows; only the fields with work of their
    own (the batched ones, the connection) get a resolve info."""
    given_an_info: set[str] = set()
    build = DirectExecutor.build_resolve_info

    def noted(self, field_def, field_nodes, parent_type, path):
        given_an_info.add(f"{parent_type.name}.{field_nodes[0].name.value}")
        return build(self, field_def, field_nodes, parent_type, path)

    monkeypatch.setattr(DirectExecutor, "build_resolve_info", noted)
    data = signed_in(town["viewers"]["member"]).data(FEED_PAGE, {"first": 20})
    posts = [edge["node"] for edge in data["feed"]["edges"]]
    assert any(post["reactions"] for post in posts)
    assert any(post["latestComments"] for post in posts)
    read_directly = {
        name
        for name in selected_fields(FEED_PAGE)
        if name in DIRECT_FIELDS["column"] + DIRECT_FIELDS["id"]
    } | {"ReactionCount.kind", "ReactionCount.count", "PageInfo.hasNextPage"}
    assert "Post.bodyHtml" in read_directly
    assert given_an_info & read_directly == set()
    assert {"Post.commentCount", "Post.author", "Query.feed"} <= given_an_info
