"""Sign-in throttling: failed attempts counted per account and per client address.

Each attempt is counted *before* its password is checked, with an atomic cache
increment, so that concurrent requests and attempts packed as aliases in one
request are all counted and none slips past the cap. A successful attempt gives
its address slot back and clears its account's counter: only failures remain.

Counters live in fixed windows (aligned on the epoch) in the Django cache: Redis
when REDIS_URL is set, shared by every process; otherwise the cache of one process.
While the shared cache does not answer (Redis down), each process counts in its
own memory (the "local" cache) rather than failing every sign-in; the caps then
hold per process. The numbers are settings (docs/AUTH.md).
"""

import contextlib
import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

from social.errors import DomainError
from social.phones import normalize_phone

# The cache keeps a counter this long after its window ends, so that it cannot
# expire between the `add` and the `incr` of an attempt at the window's edge.
_EXPIRY_MARGIN_SECONDS = 60

# The process-local cache counted in while the shared one fails (settings.CACHES).
FALLBACK_CACHE = "local"

logger = logging.getLogger("parvis.throttle")


class _Counters:
    """The cache operations of the throttle: on the shared cache, or on this
    process's own while the shared one raises."""

    def __getattr__(self, operation: str):
        def call(*args):
            try:
                return getattr(caches["default"], operation)(*args)
            except ValueError:
                raise  # incr/decr of a missing key: an answer, not a failure
            except Exception as error:
                logger.warning(
                    "shared cache unavailable (%r): sign-in attempts are counted "
                    "in this process only",
                    error,
                )
                return getattr(caches[FALLBACK_CACHE], operation)(*args)

        return call


cache = _Counters()


class Throttled(Exception):
    """Too many failed sign-ins; `retry_after` is the wait in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-ins; retry in {retry_after} s.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Policy:
    """At most `limit` failures per `window` seconds; a limit below 1 disables it."""

    kind: str
    limit: int
    window: int


def account_policy() -> Policy:
    return Policy(
        "account",
        settings.SIGNIN_THROTTLE_ACCOUNT_FAILURES,
        settings.SIGNIN_THROTTLE_ACCOUNT_WINDOW,
    )


def address_policy() -> Policy:
    return Policy(
        "address",
        settings.SIGNIN_THROTTLE_ADDRESS_FAILURES,
        settings.SIGNIN_THROTTLE_ADDRESS_WINDOW,
    )


def identifier_key(identifier: str) -> str:
    """The account an identifier names, as counted: a phone number however it is
    typed, and a username or an email whatever its case.
    """
    text = identifier.strip()
    if "@" not in text:
        try:
            phone = normalize_phone(text)
        except DomainError:
            phone = ""
        if phone:
            return f"phone:{phone}"
    return f"name:{text.casefold()}"


def address_key(address: str) -> str:
    """The client an address stands for: itself, or its /64 for IPv6, since one
    IPv6 client holds a whole /64 and could rotate through it.
    """
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _trusted(address: str, proxies: list[str]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if parsed in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(remote_addr: str, forwarded_for: str | None = None) -> str:
    """The address of the client behind the connection's peer.

    `X-Forwarded-For` is read only when the peer is one of TRUSTED_PROXIES, from
    the right: each trusted proxy appends the address it saw, so the rightmost
    entry that is not a trusted proxy is the client; what lies left of it was
    written by the client and may be forged.
    """
    proxies = settings.TRUSTED_PROXIES
    address = (remote_addr or "").strip()
    if not forwarded_for or not _trusted(address, proxies):
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = hop
        if not _trusted(hop, proxies):
            break
    return address


@dataclass(frozen=True)
class _Counter:
    key: str
    window_end: float


def _counter(policy: Policy, subject: str, now: float) -> _Counter:
    window = max(policy.window, 1)
    index = math.floor(now / window)
    digest = hashlib.sha256(subject.encode()).hexdigest()
    prefix = settings.SIGNIN_THROTTLE_KEY_PREFIX
    return _Counter(f"{prefix}:{policy.kind}:{digest}:{index}", (index + 1) * window)


def _hit(counter: _Counter, now: float) -> int:
    """Add one to the counter atomically and return its new value."""
    timeout = math.ceil(counter.window_end - now) + _EXPIRY_MARGIN_SECONDS
    cache.add(counter.key, 0, timeout)
    try:
        return cache.incr(counter.key)
    except ValueError:
        # Evicted between add and incr (a full LocMem cache): start again.
        cache.set(counter.key, 1, timeout)
        return 1


def _retry_after(counter: _Counter, now: float) -> int:
    return max(1, math.ceil(counter.window_end - now))


class SignInAttempt:
    """One counted sign-in attempt; tell it when it succeeded."""

    def __init__(self, address: _Counter | None, account: _Counter | None) -> None:
        self._address = address
        self._account = account

    def succeeded(self) -> None:
        """Clear the account's failures and give the address its slot back."""
        if self._account is not None:
            cache.delete(self._account.key)
        if self._address is not None:
            # ValueError: the window ended meanwhile, nothing left to give back.
            with contextlib.suppress(ValueError):
                cache.decr(self._address.key)


def sign_in_attempt(
    *, identifier: str | None, address: str, now: float | None = None
) -> SignInAttempt:
    """Count one attempt on `identifier` from `address`, or raise Throttled.

    With no identifier (an access code, which names no account) only the address
    is counted.

    The address is counted first: an address over its cap is refused without
    touching the account's counter, so a client that is already refused cannot
    keep locking someone else's account.
    """
    now = time.time() if now is None else now
    counted: dict[str, _Counter | None] = {"address": None, "account": None}
    for policy, subject in (
        (address_policy(), address_key(address)),
        (account_policy(), None if identifier is None else identifier_key(identifier)),
    ):
        if policy.limit < 1 or subject is None:
            continue
        counter = _counter(policy, subject, now)
        if _hit(counter, now) > policy.limit:
            raise Throttled(_retry_after(counter, now))
        counted[policy.kind] = counter
    return SignInAttempt(counted["address"], counted["account"])
