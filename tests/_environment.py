"""Loaded by pytest before Django (`-p tests._environment` in pyproject.toml).

The test suite runs with the development defaults unless the environment says
otherwise: `.ci/run` sets DATABASE_URL and REDIS_URL to run it on the real services.
"""

import os

os.environ.setdefault("DEBUG", "1")

# The SQLite test database is a file under var/, which a live server can read.
(__import__("pathlib").Path(__file__).resolve().parent.parent / "var").mkdir(
    exist_ok=True
)
