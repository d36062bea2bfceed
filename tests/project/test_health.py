"""`GET /healthz` tells whether the database and the channel layer answer."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


def test_healthy_when_database_and_channel_layer_answer(client, db):
    """Both up: 200 and "ok" for each."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "channelLayer": "ok",
        "live": {"connections": 0, "subscriptions": 0},
        "status": "ok",
    }


@pytest.mark.parametrize(
    ("variable", "unreachable", "down"),
    [
        ("DATABASE_URL", "postgres://parvis@127.0.0.1:9/parvis", "database"),
        ("REDIS_URL", "redis://127.0.0.1:9/0", "channelLayer"),
    ],
)
def test_unavailable_with_503_when_a_service_is_down(variable, unreachable, down):
    """A service that does not answer (nothing listens on port 9) gives 503."""
    # The app runs in its own process, configured as an operator would.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "1"}
    env[variable] = unreachable
    env["ALLOWED_HOSTS"] = "testserver"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"][down] == "unavailable"
    assert answer["body"]["status"] == "unavailable"
