"""The polls' domain: voter keys, poll checks, quiz winners, and the demo polls."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from social.actions.polls import PollSpec, check_poll, voter_key
from social.errors import DomainErrors
from social.management import demo_content as content
from social.models import Group, Poll, PollBallot, PollParticipation
from social.selectors.polls import quiz_winners


def test_a_voter_key_is_stable_per_poll_and_voter(settings):
    """The same voter on the same poll gets the same key; another poll or voter
    another one; the key depends on the server's secret."""
    key = voter_key(1, 2)
    assert key == voter_key(1, 2)
    assert len({key, voter_key(2, 1), voter_key(1, 3), voter_key(12, 2)}) == 4
    settings.SECRET_KEY = "another secret " * 5
    assert voter_key(1, 2) != key


def test_check_poll_reports_every_refusal_at_once():
    """All the faults of a poll come back together."""
    spec = PollSpec(question=" ", options=["seule"], correct_option_indexes=[3])
    with pytest.raises(DomainErrors) as refused:
        check_poll(spec, now=timezone.now())
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("poll.question", "REQUIRED"),
        ("poll.options", "INVALID"),
        ("poll.correctOptionIndexes", "INVALID"),
    }


def test_check_poll_strips_texts():
    checked = check_poll(
        PollSpec(question=" Q ? ", options=[" a ", "b"]), now=timezone.now()
    )
    assert (checked.question, checked.options) == ("Q ?", ["a", "b"])


@pytest.mark.django_db
def test_the_demo_has_polls_and_a_week_of_riddle_quizzes_once():
    """seed_demo adds its polls and a quiz on each of the last 7 riddles, with
    votes; a second run adds nothing."""
    call_command("seed_demo", force=True, stdout=StringIO())
    flowers = Group.objects.get(slug="un-jour-une-fleur")
    quizzes = Poll.objects.filter(post__group=flowers, is_quiz=True)
    assert quizzes.count() == content.QUIZ_DAYS
    assert Poll.objects.filter(is_quiz=False).count() == len(content.POLL_POSTS)
    now = timezone.now()
    open_quizzes = [poll for poll in quizzes if not poll.is_closed_at(now)]
    assert len(open_quizzes) == 1
    for poll in quizzes:
        assert poll.options.filter(is_correct=True).count() == 1
        assert poll.participations.exists()
    closed = [poll for poll in quizzes if poll.is_closed_at(now)]
    assert any(quiz_winners([poll.pk]).exists() for poll in closed)
    anonymous = Poll.objects.get(is_anonymous=True)
    assert not PollBallot.objects.filter(poll=anonymous, user__isnull=False).exists()
    counts = (
        Poll.objects.count(),
        PollBallot.objects.count(),
        PollParticipation.objects.count(),
    )
    call_command("seed_demo", force=True, stdout=StringIO())
    assert (
        Poll.objects.count(),
        PollBallot.objects.count(),
        PollParticipation.objects.count(),
    ) == counts
