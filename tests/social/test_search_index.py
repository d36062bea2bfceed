"""The search index's French text handling and its rebuild."""

import pytest

from social import search
from social.models import Comment, Group, Post, SearchEntry
from social.search import text as french
from tests.conftest import make_user


@pytest.mark.parametrize(
    ("word", "same_as"),
    [("fleurs", "fleur"), ("Événements", "evenement"), ("CHEVAUX", "cheval")],
)
def test_folds_and_stems_french_words(word, same_as):
    """Accents, case and endings fold to one stem."""
    assert french.stemmed(word) == french.stemmed(same_as)


def test_query_words_drop_stop_words_and_repeats():
    """Stop words and repeated words are left out of a query."""
    assert french.query_words("Les fleurs et les FLEURS du jardin") == [
        "fleurs",
        "jardin",
    ]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("grimaut", "grimault", 1), ("grimault", "grimault", 0), ("paul", "marc", 3)],
)
def test_edit_distance(a, b, distance):
    """Levenshtein distance, capped at the limit plus one."""
    assert french.edit_distance(a, b, 3) == distance


def test_highlight_escapes_then_marks():
    """The snippet escapes the content, then marks the matched words."""
    snippet = french.highlight("<i>Fleurs</i> & fêtes", ["fleur"], set())
    assert snippet == "&lt;i&gt;<mark>Fleurs</mark>&lt;/i&gt; &amp; fêtes"


def test_rebuild_indexes_everyone(db):
    """rebuild() recreates one entry per person (and per post, comment, group)."""
    make_user("alice", display_name="Alice Zola")
    SearchEntry.objects.all().delete()
    assert search.rebuild() == 1
    assert SearchEntry.objects.get().names == "alice zola"


def test_cascading_deletions_leave_no_entry_behind(db):
    """Deleting a person takes their posts and comments, and all their entries."""
    # given
    author = make_user("auteur", display_name="Auteur Prolifique")
    group = Group.objects.create(
        name="Jardins", slug="jardins", kind="TOPIC", visibility="PUBLIC"
    )
    post = Post.objects.create(author=author, group=group, body="Les tulipes")
    search.index_group(group)
    search.index_post(post)
    search.index_comment(
        Comment.objects.create(post=post, author=author, body="Et les roses")
    )
    assert SearchEntry.objects.count() == 4
    # when
    author.delete()
    group.delete()
    # then
    assert SearchEntry.objects.count() == 0


def test_a_hits_score_does_not_depend_on_what_the_viewer_cannot_read(db):
    """Posts of a secret group the viewer is not in change neither the score nor
    the order of the viewer's hits (no probing of hidden content by scores)."""
    # given
    reader = make_user("lecteur")
    author = make_user("auteur")
    public = Group.objects.create(
        name="Jardins", slug="jardins", kind="TOPIC", visibility="PUBLIC"
    )
    secret = Group.objects.create(
        name="Cercle", slug="cercle-x1", kind="TOPIC", visibility="SECRET"
    )
    search.index_post(
        Post.objects.create(author=author, group=public, body="Les tulipes du parc")
    )
    before = [
        (hit.object_id, hit.score) for hit in search.search(reader, "tulipes").hits
    ]
    # when
    for n in range(20):
        search.index_post(
            Post.objects.create(author=author, group=secret, body=f"tulipes {n}")
        )
    # then
    after = [
        (hit.object_id, hit.score) for hit in search.search(reader, "tulipes").hits
    ]
    assert before
    assert after == before
