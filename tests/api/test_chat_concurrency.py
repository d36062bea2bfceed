"""Chat under concurrent requests, over HTTP with threads: one direct
conversation per pair, one message per clientId, sequences without gaps.

Run on SQLite (writes serialised by its IMMEDIATE transactions) and on
PostgreSQL (where the writes really run in parallel: the unique constraints and
the conversation's row lock decide).
"""

import threading
import time

import pytest
from django.db import connections

from social.models import Conversation, Message, Participant
from tests.api.test_chat import MESSAGES, SEND, START, send, start
from tests.conftest import at_once, gid, make_user, signed_in


def _concurrent_starts(devices: int) -> None:
    # given: two colleagues, each on several devices, starting their direct
    # conversation at the same moment
    paul = make_user("paul")
    claire = make_user("claire")
    calls = []
    for n in range(devices):
        me, other = (paul, claire) if n % 2 == 0 else (claire, paul)
        calls.append(
            (signed_in(me), START, {"input": {"participantIds": [gid(other)]}})
        )
    # when
    results = [data["startConversation"] for data in at_once(calls)]
    # then
    assert all(result["errors"] == [] for result in results)
    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert {result["conversation"]["id"] for result in results} == {gid(conversation)}
    assert [result["created"] for result in results].count(True) == 1
    assert sorted(
        Participant.objects.filter(conversation=conversation).values_list(
            "user_id", flat=True
        )
    ) == sorted([paul.pk, claire.pk])


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_of_one_pair_make_one_conversation():
    """Both colleagues, on several devices, start their direct conversation at
    the same moment: one conversation, which every call returns."""
    _concurrent_starts(devices=6)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_starts_on_postgresql_make_one_conversation():
    """The same on PostgreSQL with more devices: the unique direct key decides,
    the losers read the winner's conversation."""
    _concurrent_starts(devices=16)


def _concurrent_retries(retries: int) -> None:
    # given: a phone on a patchy connection retries one send many times at once
    paul = make_user("paul")
    claire = make_user("claire")
    conversation = start(paul, claire)
    send(claire, conversation, "Tu es où ?")
    phone = signed_in(paul)
    variables = {
        "input": {
            "conversationId": gid(conversation),
            "body": "J'arrive dans 5 minutes",
            "clientId": "4f7d2c1e-retry",
        }
    }
    # when
    results = [
        data["sendMessage"] for data in at_once([(phone, SEND, variables)] * retries)
    ]
    # then
    assert all(result["errors"] == [] for result in results)
    message = Message.objects.get(author=paul)
    assert {result["message"]["id"] for result in results} == {gid(message)}
    assert message.sequence == 2
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert Conversation.objects.get(pk=conversation.pk).last_sequence == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_send_make_one_message():
    """The same sendMessage (one clientId) arriving several times at once: one
    message, returned to every retry, one sequence used."""
    _concurrent_retries(retries=6)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_retries_on_postgresql_make_one_message():
    """The same with more retries on PostgreSQL, where only the conversation's
    row lock and the unique (author, clientId) order them."""
    _concurrent_retries(retries=16)


def _concurrent_senders(senders: int, each: int) -> None:
    # given: a group conversation, several colleagues sending at once
    people = [make_user(f"agent{n}") for n in range(senders)]
    conversation = start(people[0], *people[1:], title="Astreinte")
    calls = [
        (
            signed_in(person),
            SEND,
            {
                "input": {
                    "conversationId": gid(conversation),
                    "body": f"Message {n} de {person.username}",
                    "clientId": f"{person.username}-{n}",
                }
            },
        )
        for n in range(each)
        for person in people
    ]
    # when
    results = [data["sendMessage"] for data in at_once(calls)]
    # then
    assert all(result["errors"] == [] for result in results)
    total = senders * each
    sequences = sorted(
        Message.objects.filter(conversation=conversation).values_list(
            "sequence", flat=True
        )
    )
    assert sequences == list(range(1, total + 1))
    assert Conversation.objects.get(pk=conversation.pk).last_sequence == total


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_consecutive_sequences():
    """Colleagues sending to one conversation at the same moment: every message
    gets its own sequence, 1 to N, without a gap."""
    _concurrent_senders(senders=4, each=2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_senders_on_postgresql_get_consecutive_sequences():
    """The same with more senders on PostgreSQL."""
    _concurrent_senders(senders=8, each=3)


@pytest.mark.django_db(transaction=True)
def test_catching_up_while_messages_are_sent_skips_and_repeats_nothing():
    """A phone follows a conversation with messages(after: cursor) while
    colleagues keep sending: it ends up with every message exactly once, in
    sequence order."""
    # given
    reader = make_user("lecteur")
    writers = [make_user(f"auteur{n}") for n in range(3)]
    conversation = start(reader, *writers, title="Chantier école")
    client = signed_in(reader)
    stop = threading.Event()
    failures: list[BaseException] = []
    sent: list[str] = []

    def write(user) -> None:
        try:
            writer = signed_in(user)
            count = 0
            while not stop.is_set() and count < 15:
                payload = writer.data(
                    SEND,
                    {
                        "input": {
                            "conversationId": gid(conversation),
                            "body": f"{user.username} {count}",
                        }
                    },
                )["sendMessage"]
                assert payload["errors"] == []
                sent.append(payload["message"]["id"])
                count += 1
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    def follow() -> list[int]:
        """Page forward from the last cursor until the writers are done."""
        seen: list[int] = []
        after = None
        while True:
            # Read before the page: the last page is asked for after every send.
            done = not any(thread.is_alive() for thread in threads)
            data = client.data(
                MESSAGES, {"id": gid(conversation), "first": 4, "after": after}
            )
            page = data["node"]["messages"]
            seen += [edge["node"]["sequence"] for edge in page["edges"]]
            after = page["pageInfo"]["endCursor"] or after
            if not page["pageInfo"]["hasNextPage"]:
                if done:
                    return seen
                time.sleep(0.005)

    threads = [threading.Thread(target=write, args=(u,)) for u in writers]
    # when
    for thread in threads:
        thread.start()
    try:
        # Follow only once messages are being sent, so that both overlap.
        deadline = time.monotonic() + 30
        while not sent and not failures and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sent, "no message was sent while following"
        seen = follow()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    # then
    assert failures == []
    assert seen == list(range(1, len(sent) + 1))
