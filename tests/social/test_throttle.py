"""Sign-in throttling on its own: counters, windows, keys and client addresses."""

import uuid

import pytest

from social.throttle import (
    Throttled,
    address_key,
    client_address,
    identifier_key,
    sign_in_attempt,
)

# The start of a 15-minute window (a multiple of 900 seconds since the epoch).
WINDOW_START = 1_800_000_000.0
assert WINDOW_START % 900 == 0


@pytest.fixture(autouse=True)
def policy(settings):
    """5 failures per account and 20 per address in 15 minutes; fresh counters."""
    settings.SIGNIN_THROTTLE_KEY_PREFIX = f"signin-test-{uuid.uuid4().hex}"
    settings.SIGNIN_THROTTLE_ACCOUNT_FAILURES = 5
    settings.SIGNIN_THROTTLE_ACCOUNT_WINDOW = 900
    settings.SIGNIN_THROTTLE_ADDRESS_FAILURES = 20
    settings.SIGNIN_THROTTLE_ADDRESS_WINDOW = 900
    settings.TRUSTED_PROXIES = []


def fail(
    times: int,
    identifier: str = "agathe",
    address: str = "192.0.2.1",
    now: float = WINDOW_START + 1,
) -> None:
    """Make `times` attempts that are never told they succeeded.

    At a fixed time, so that no test straddles the end of a window.
    """
    for _ in range(times):
        sign_in_attempt(identifier=identifier, address=address, now=now)


class TestCounting:
    def test_the_attempt_past_the_account_limit_is_refused(self):
        """Five failures pass; the sixth is refused until the window ends."""
        # given
        fail(5, now=WINDOW_START + 100)
        # when
        with pytest.raises(Throttled) as refused:
            sign_in_attempt(
                identifier="agathe", address="192.0.2.2", now=WINDOW_START + 100
            )
        # then
        assert refused.value.retry_after == 800

    def test_a_new_window_starts_from_zero(self):
        """Failures of the last window are forgotten in the next."""
        fail(5, now=WINDOW_START + 899)
        sign_in_attempt(
            identifier="agathe", address="192.0.2.1", now=WINDOW_START + 900
        )

    def test_the_retry_time_is_at_least_one_second(self):
        """At the very end of a window, the client still waits a second."""
        fail(5, now=WINDOW_START)
        with pytest.raises(Throttled) as refused:
            fail(1, now=WINDOW_START + 899.9)
        assert refused.value.retry_after == 1

    def test_a_success_clears_the_account_and_refunds_the_address(self, settings):
        """Only failures stay counted."""
        # given
        settings.SIGNIN_THROTTLE_ADDRESS_FAILURES = 6
        fail(4)
        # when
        sign_in_attempt(
            identifier="agathe", address="192.0.2.1", now=WINDOW_START + 1
        ).succeeded()
        # then the account has its five failures again (from elsewhere)
        fail(5, address="198.51.100.1")
        # and the address is at 4 of 6: two more, then refused
        fail(2, identifier="bruno")
        with pytest.raises(Throttled):
            fail(1, identifier="chloe")

    def test_the_address_limit_spans_accounts(self):
        """Twenty failures on twenty accounts from one address close it."""
        for i in range(20):
            fail(1, identifier=f"agent{i}")
        with pytest.raises(Throttled):
            fail(1, identifier="agathe")
        fail(1, identifier="agathe", address="192.0.2.99")

    def test_a_refused_address_does_not_count_against_the_account(self):
        """A client already refused cannot go on locking someone's account."""
        # given
        for i in range(20):
            fail(1, identifier=f"agent{i}")
        # when
        for _ in range(10):
            with pytest.raises(Throttled):
                fail(1, identifier="agathe")
        # then: Agathe's account has all its attempts left elsewhere
        fail(5, identifier="agathe", address="192.0.2.50")

    def test_another_account_is_unaffected(self):
        """Locking one account leaves every other one open, from the same address."""
        fail(5, identifier="bruno")
        with pytest.raises(Throttled):
            fail(1, identifier="bruno")
        fail(1, identifier="agathe")

    def test_a_limit_of_zero_turns_the_count_off(self, settings):
        """The operator may disable either count."""
        settings.SIGNIN_THROTTLE_ACCOUNT_FAILURES = 0
        settings.SIGNIN_THROTTLE_ADDRESS_FAILURES = 0
        fail(50)


class TestKeys:
    @pytest.mark.parametrize(
        "typed", ["06 12 34 56 78", "06.12.34.56.78", "(06) 12-34-56-78", "0612345678"]
    )
    def test_a_phone_number_is_one_account_however_typed(self, typed):
        assert identifier_key(typed) == identifier_key("0612345678")

    def test_names_and_emails_ignore_case_and_outer_spaces(self):
        assert identifier_key(" Agathe ") == identifier_key("agathe")
        assert identifier_key("A.Leroy@Mairie.fr") == identifier_key(
            "a.leroy@mairie.fr"
        )

    def test_a_username_is_not_taken_for_a_phone(self):
        assert identifier_key("agathe") != identifier_key("0612345678")

    def test_ipv6_clients_are_counted_per_64(self):
        """One IPv6 client holds a /64: rotating inside it changes nothing."""
        assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
        assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")

    def test_ipv4_mapped_addresses_are_their_ipv4(self):
        assert address_key("::ffff:192.0.2.1") == address_key("192.0.2.1")


class TestClientAddress:
    def test_without_trusted_proxies_the_peer_is_the_client(self):
        """X-Forwarded-For is anyone's to forge: ignored unless configured."""
        assert client_address("192.0.2.1", "203.0.113.9") == "192.0.2.1"

    def test_a_trusted_proxy_names_the_client(self, settings):
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        assert client_address("10.0.0.2", "203.0.113.9") == "203.0.113.9"

    def test_entries_forged_by_the_client_are_skipped(self, settings):
        """Read from the right: the first address no trusted proxy owns is the
        client; what it wrote to the left of that is ignored.
        """
        settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
        forwarded = "1.2.3.4, 203.0.113.9, 10.1.1.1"
        assert client_address("127.0.0.1", forwarded) == "203.0.113.9"

    def test_an_untrusted_peer_cannot_pass_an_address_on(self, settings):
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        assert client_address("192.0.2.1", "203.0.113.9") == "192.0.2.1"
