"""Search: one interface over two backends (PostgreSQL FTS, SQLite FTS5).

Writes call `index_<thing>` / `unindex_<thing>` inside their transaction; reads
call `search(viewer, query, ...)`, which filters by access.search_scope in the
database before ranking and paging.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from social import access
from social.errors import DomainError, ErrorCode
from social.models import (
    Comment,
    Group,
    Message,
    Post,
    SearchEntry,
    SearchKind,
    User,
)
from social.search import text as french
from social.search.backends import Hit, backend

QUERY_MAX_LENGTH = 200

__all__ = [
    "QUERY_MAX_LENGTH",
    "Hit",
    "SearchPage",
    "index_comment",
    "index_group",
    "index_message",
    "index_post",
    "index_user",
    "rebuild",
    "search",
    "unindex_comment",
    "unindex_message",
    "unindex_post",
    "unindex_user",
]


@dataclass(frozen=True)
class SearchPage:
    total: int
    hits: list[Hit]


def _post_entry(post: Post) -> dict:
    return {"group_id": post.group_id, "names": "", "text": post.body}


def _comment_entry(comment: Comment, group_id: int | None) -> dict:
    return {"group_id": group_id, "names": "", "text": comment.body}


def _group_entry(group: Group) -> dict:
    text = f"{group.name}\n{group.description}".strip()
    return {
        "group_id": group.pk,
        "names": " ".join(french.words(group.name)),
        "text": text,
    }


def _user_entry(user: User) -> dict:
    names = " ".join(
        (user.display_name, user.first_name, user.last_name, user.username)
    )
    text = "\n".join(part for part in (user.display_name, user.job_title) if part)
    return {
        "group_id": None,
        "names": " ".join(dict.fromkeys(french.words(names))),
        "text": text,
    }


def _message_entry(message: Message) -> dict:
    return {
        "group_id": None,
        "conversation_id": message.conversation_id,
        "names": "",
        "text": message.body,
    }


def _write(kind: str, object_id: int, fields: dict) -> None:
    with transaction.atomic():
        entry, _ = SearchEntry.objects.update_or_create(
            kind=kind, object_id=object_id, defaults=fields
        )
        backend().write(entry)


def _drop(entries) -> None:
    with transaction.atomic():
        ids = list(entries.values_list("pk", flat=True))
        backend().drop(ids)
        SearchEntry.objects.filter(pk__in=ids).delete()


def index_post(post: Post) -> None:
    """Index a created or edited post."""
    _write(SearchKind.POST, post.pk, _post_entry(post))


def unindex_post(post_id: int) -> None:
    """Forget a post and its comments (call before deleting it)."""
    comments = Comment.objects.filter(post_id=post_id).values("pk")
    _drop(
        SearchEntry.objects.filter(kind=SearchKind.POST, object_id=post_id)
        | SearchEntry.objects.filter(kind=SearchKind.COMMENT, object_id__in=comments)
    )


def index_comment(comment: Comment) -> None:
    """Index a created or edited comment."""
    _write(
        SearchKind.COMMENT, comment.pk, _comment_entry(comment, comment.post.group_id)
    )


def unindex_comment(comment_id: int) -> None:
    """Forget a comment and its replies (call before deleting it)."""
    replies = Comment.objects.filter(parent_id=comment_id).values("pk")
    _drop(
        SearchEntry.objects.filter(kind=SearchKind.COMMENT, object_id=comment_id)
        | SearchEntry.objects.filter(kind=SearchKind.COMMENT, object_id__in=replies)
    )


def index_group(group: Group) -> None:
    """Index a created or edited group (its visibility is read at query time)."""
    _write(SearchKind.GROUP, group.pk, _group_entry(group))


def unindex_group(group_id: int) -> None:
    """Forget a deleted group (its posts go with their own deletion)."""
    _drop(SearchEntry.objects.filter(kind=SearchKind.GROUP, object_id=group_id))


def index_user(user: User) -> None:
    """Index a created or edited person (whether active is read at query time)."""
    _write(SearchKind.USER, user.pk, _user_entry(user))


def unindex_user(user_id: int) -> None:
    """Forget a deleted person."""
    _drop(SearchEntry.objects.filter(kind=SearchKind.USER, object_id=user_id))


def index_message(message: Message) -> None:
    """Index a sent or edited chat message; a deleted one is forgotten."""
    if message.deleted_at is not None:
        unindex_message(message.pk)
        return
    _write(SearchKind.MESSAGE, message.pk, _message_entry(message))


def unindex_message(message_id: int) -> None:
    """Forget a deleted chat message."""
    _drop(SearchEntry.objects.filter(kind=SearchKind.MESSAGE, object_id=message_id))


def rebuild() -> int:
    """Rebuild the whole index from the tables, in one transaction; return its size."""
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        group_of_post = dict(Post.objects.values_list("pk", "group_id"))
        entries: list[SearchEntry] = []

        def add(kind: str, object_id: int, fields: dict) -> None:
            entries.append(SearchEntry(kind=kind, object_id=object_id, **fields))

        for post in Post.objects.only("pk", "group_id", "body").iterator(2000):
            add(SearchKind.POST, post.pk, _post_entry(post))
        for comment in Comment.objects.only("pk", "post_id", "body").iterator(2000):
            add(
                SearchKind.COMMENT,
                comment.pk,
                _comment_entry(comment, group_of_post.get(comment.post_id)),
            )
        for group in Group.objects.all().iterator(2000):
            add(SearchKind.GROUP, group.pk, _group_entry(group))
        for user in User.objects.all().iterator(2000):
            add(SearchKind.USER, user.pk, _user_entry(user))
        messages = Message.objects.filter(deleted_at__isnull=True).only(
            "pk", "conversation_id", "body"
        )
        for message in messages.iterator(2000):
            add(SearchKind.MESSAGE, message.pk, _message_entry(message))
        SearchEntry.objects.bulk_create(entries, batch_size=2000)
        backend().write_all()
        return len(entries)


def check_query(query: str) -> list[str]:
    """The words to search for; REQUIRED if blank, TOO_LONG over 200 characters.

    Everything else is plain text: punctuation and query syntax are ignored.
    """
    if not query.strip():
        raise DomainError(ErrorCode.REQUIRED, "Type something to search.", "query")
    if len(query) > QUERY_MAX_LENGTH:
        raise DomainError(
            ErrorCode.TOO_LONG,
            f"A search is at most {QUERY_MAX_LENGTH} characters.",
            "query",
        )
    return french.query_words(query)


def search(
    viewer,
    query: str,
    *,
    kinds: Iterable[str] | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchPage:
    """The entries matching `query` that the viewer may find, best first."""
    words = check_query(query)
    if not words or not access.is_signed_in(viewer):
        return SearchPage(0, [])
    entries = SearchEntry.objects.filter(access.search_scope(viewer))
    if kinds is not None:
        entries = entries.filter(kind__in=list(kinds))
    total, hits = backend().search(entries, words, offset, limit)
    return SearchPage(total, hits)
