"""`python -m bench [scenario ...]`: run the scenarios (`make bench` runs them all).

The database is a throwaway one made for the run (bench.harness.setup): a SQLite
file under var/bench/ by default; with DATABASE_URL (and REDIS_URL) set, a
database named for the bench on that PostgreSQL server, and that Redis.
"""

from bench import harness


def main() -> None:
    options = harness.parser().parse_args()
    harness.setup()
    # Scenario modules import models: after setup. Their order is the report's.
    from bench import feed, feed_http, idle_sockets, search, socket_queries  # noqa: F401

    # isort: split
    # Live delivery; bench/_fanout_server.py is their servers' app, not a scenario.
    from bench import fanout  # noqa: F401

    # isort: split
    from bench import chat  # noqa: F401

    harness.run(options.scenarios, options)


main()
