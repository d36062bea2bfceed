"""Chat: send-to-delivery latency in one GROUP conversation under load, as a ratio
to the fan-out floor measured in the same run (issue 7, Benchmark).

    make bench BENCH_ARGS=chat
    make bench BENCH_ARGS="chat --chat-rounds 20 --chat-background 8"

One daphne process per channel layer (bench/_fanout_server.py, as the `fanout`
scenario: in-memory, and with REDIS_URL pubsub and core, all started at once so
that their rounds interleave). Each holds:

- the measured conversation: `--chat-participants` (50, the limit) people, each
  with a graphql-transport-ws socket subscribed to `chatEvents(conversationId:)`
  selecting `{ kind message { id sequence } }`;
- the load: `--chat-background` (4) other GROUP conversations of
  `--chat-background-size` (10) people, each person with a socket on its
  conversation, and one sender per conversation posting `sendMessage` through
  HTTP back to back (a 0.1 s pause) during all the measured rounds, floors
  included; plus `--chat-idle` (100) sockets on `chatEvents` of people in no
  conversation.

A round, subject: the first participant sends a message through HTTP
`sendMessage`; the server notes the monotonic time just before the channel
layer's `group_send` of its MESSAGE_SENT (by message id); the latency of a
delivery is when a socket of this process reads the `next` for that message,
minus that. Floor: inside that same server process, on the same layer
instance, a raw `group_send` of a message of MESSAGE_SENT's keys and size to as
many plain channels as the conversation has participants, each awaited by its
own task. Floor and subject alternate (ABBA), the layers take turns. SQL per
event is counted on a message sent before the load starts (the load's queries
would be counted with it otherwise). Timings are never asserted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench import fanout
from bench.harness import Result, scenario

SEND_MESSAGE = """mutation($c: ID!, $body: String!, $clientId: String) {
  sendMessage(input: {conversationId: $c, body: $body, clientId: $clientId}) {
    message { id } errors { code message } } }"""
SELECTION = (
    'subscription {{ chatEvents(conversationId: "{id}") '
    "{{ kind message {{ id sequence }} }} }}"
)
IDLE_SELECTION = "subscription { chatEvents { kind } }"
LOAD_PAUSE_SECONDS = 0.1
LOAD_MAX_SENDS = 2_000  # per background sender: the load stops by itself
LOAD_STOP_SECONDS = 60.0


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def message_key(event: dict) -> str | None:
    return (event.get("message") or {}).get("id")


def seed(participants: int, background: int, size: int, idle: int) -> dict:
    """The people (each with a bearer token), the measured conversation and the
    background ones; tokens in socket order: participants, background
    conversations one after the other, idle."""
    from django.db import transaction

    from social.actions.auth import token_issue
    from social.actions.chat import conversation_start
    from social.models import User

    suffix = uuid.uuid4().hex[:6]
    total = participants + background * size + idle
    with transaction.atomic():
        people = []
        for index in range(total):
            person = User(
                username=f"chat-{suffix}-{index}", display_name=f"Agent {index}"
            )
            person.set_unusable_password()
            people.append(person)
        User.objects.bulk_create(people)
        people = list(
            User.objects.filter(username__startswith=f"chat-{suffix}-").order_by("pk")
        )
        tokens = [token_issue(user=person, name="bench") for person in people]

    def start(members) -> int:
        started = conversation_start(
            actor=members[0],
            participant_ids=[member.pk for member in members[1:]],
            title=f"Bench {suffix}",
            kind="GROUP",
        )
        return started.conversation.pk

    measured = start(people[:participants])
    others = [
        start(people[participants + b * size : participants + (b + 1) * size])
        for b in range(background)
    ]
    return {"tokens": tokens, "measured": measured, "background": others}


async def send_message(server: fanout.Server, token: str, conversation: str) -> str:
    """A message through HTTP `sendMessage`; its global id."""
    body = f"Chat {uuid.uuid4().hex[:8]} : la réunion est décalée à 14 h."
    answer = await server.post(
        "/graphql/",
        {
            "query": SEND_MESSAGE,
            "variables": {
                "c": conversation,
                "body": body,
                "clientId": str(uuid.uuid4()),
            },
        },
        token,
    )
    payload = (answer.get("data") or {}).get("sendMessage") or {}
    if answer.get("errors") or payload.get("errors") or not payload.get("message"):
        raise RuntimeError(f"sendMessage failed: {answer}")
    return payload["message"]["id"]


async def load(
    server: fanout.Server, token: str, conversation: str, stop: asyncio.Event, sent
) -> None:
    """One background sender: messages back to back until `stop` (bounded)."""
    for _ in range(LOAD_MAX_SENDS):
        if stop.is_set():
            return
        try:
            await send_message(server, token, conversation)
            sent["sent"] += 1
        except Exception:  # counted, reported
            sent["failed"] += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LOAD_PAUSE_SECONDS):
                await stop.wait()


async def _run(layers: list[str], options, log) -> list[dict]:
    participants = options.chat_participants
    background, size = options.chat_background, options.chat_background_size
    idle, rounds = options.chat_idle, options.chat_rounds
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(32))
    data = await asyncio.to_thread(seed, participants, background, size, idle)
    tokens = data["tokens"]
    measured = global_id("Conversation", data["measured"])
    others = [global_id("Conversation", pk) for pk in data["background"]]
    senders = [tokens[participants + b * size] for b in range(background)]

    def query_of(index: int) -> str:
        if index < participants:
            return SELECTION.format(id=measured)
        if index < participants + background * size:
            return SELECTION.format(id=others[(index - participants) // size])
        return IDLE_SELECTION

    async def send(server, token):
        return await send_message(server, token, measured)

    servers = {layer: fanout.Server(layer, tag="chat") for layer in layers}
    fleets: dict[str, fanout.Fleet] = {}
    results: list[dict] = []
    stop = asyncio.Event()
    loaders: list[asyncio.Task] = []
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            await asyncio.to_thread(server.wait_until_healthy)
        sql: dict[str, float | None] = {}
        number = 0
        for layer, server in servers.items():
            started = time.monotonic()
            fleet = fanout.Fleet(server, tokens, field="chatEvents", key=message_key)
            fleets[layer] = fleet
            await fleet.grow(len(tokens))
            await fleet.subscribe(query_of)
            fleet.expected = participants
            log(
                f"{layer}: {len(tokens)} sockets subscribed in "
                f"{time.monotonic() - started:.1f}s"
            )
            # Warm up, then one message alone for the SQL count (no load yet).
            await fanout.subject_round(
                fleet, tokens[0], fanout._empty(), send, "message"
            )
            alone = fanout._empty()
            await fanout.subject_round(fleet, tokens[0], alone, send, "message")
            sql[layer] = alone["queries"][0]
            number += 1
            await fanout.floor_round(
                server, participants, number, fanout._empty(), "chat"
            )
        sent = {layer: {"sent": 0, "failed": 0} for layer in layers}
        for layer, server in servers.items():
            for token, conversation in zip(senders, others, strict=True):
                loaders.append(
                    asyncio.ensure_future(
                        load(server, token, conversation, stop, sent[layer])
                    )
                )
        subject = {layer: fanout._empty() for layer in layers}
        floor = {layer: fanout._empty() for layer in layers}
        load_started = time.monotonic()
        for layer, step in fanout.interleaved(layers, rounds):
            if step == "subject":
                await fanout.subject_round(
                    fleets[layer], tokens[0], subject[layer], send, "message"
                )
            else:
                number += 1
                await fanout.floor_round(
                    servers[layer], participants, number, floor[layer], "chat"
                )
            await asyncio.sleep(fanout.PAUSE_SECONDS)
        load_seconds = time.monotonic() - load_started
        stop.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LOAD_STOP_SECONDS):
                await asyncio.gather(*loaders, return_exceptions=True)
        for layer in layers:
            figures = fanout.summarize(
                f"chat {layer} {participants} participants",
                subject[layer],
                floor[layer],
            )
            figures["sql_queries_per_event"] = sql[layer]
            figures["layer"] = layer
            figures["load"] = (
                f"{background} conversations x {size} sockets sending "
                f"{sent[layer]['sent'] / load_seconds:.1f} msg/s "
                f"({sent[layer]['failed']} failed), {idle} idle sockets"
            )
            results.append(figures)
            log(
                f"{layer}: p50/p99 {fanout._ms(figures['p50'])} /"
                f" {fanout._ms(figures['p99'])} ms, floor"
                f" {fanout._ms(figures['floor_p50'])} /"
                f" {fanout._ms(figures['floor_p99'])} ms"
            )
    except Exception:
        for layer, server in servers.items():
            log(f"--- daphne {layer} log tail ---\n{server.log_tail()}")
        raise
    finally:
        stop.set()
        for task in loaders:
            task.cancel()
        for layer, fleet in fleets.items():
            with contextlib.suppress(Exception):
                await servers[layer].post("/__bench__/floor/close", {})
            await fleet.close()
        for server in servers.values():
            server.stop()
    return results


@scenario("chat")
def chat_scenario(options) -> list[Result]:
    """sendMessage to a 50-person conversation under load, against group_send."""
    layers = fanout.bench_layers(options.fanout_layers)
    sockets = (
        options.chat_participants
        + options.chat_background * options.chat_background_size
        + options.chat_idle
    )
    fanout._raise_fd_limit(2 * len(layers) * sockets + 1024)
    if any(layer != "memory" for layer in layers) and not fanout._redis_reachable():
        print(f"  Redis at {fanout.REDIS_URL} does not answer: memory only")
        layers = [layer for layer in layers if layer == "memory"]
    found = asyncio.run(
        _run(layers, options, lambda line: print(f"  {line}", flush=True))
    )
    return [
        fanout.as_result(
            figures,
            {
                "http_ms": fanout.r(figures["create_post_http_ms"]),  # sendMessage
                "load": figures["load"],
            },
        )
        for figures in found
    ]
