"""What posts and comments share when written: a Markdown body."""

from django.utils import timezone

from social.errors import check_text
from social.markdown import render_markdown
from social.models import Comment, Post


def body_rewrite(item: Post | Comment, body: str, *, max_length: int) -> None:
    """Replace the body of an edited post or comment, render it, mark it edited.

    The caller holds the item's row lock and has checked the actor may edit it.
    """
    text = check_text(body, field="body", max_length=max_length)
    item.body = text
    item.body_html = render_markdown(text)
    item.edited_at = timezone.now()
    item.save(update_fields=["body", "body_html", "edited_at"])
