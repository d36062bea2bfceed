"""Production refuses insecure defaults; a proper setup passes check --deploy."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_KEY = "k" * 20 + "-production-secret-key-for-tests-" + "z" * 20


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"ALLOWED_HOSTS": "parvis.example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "parvis.example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        (
            {"SECRET_KEY": "django-insecure-" + GOOD_KEY, "ALLOWED_HOSTS": "a.org"},
            "SECRET_KEY",
        ),
    ],
)
def test_with_debug_off_an_insecure_default_refuses_to_start(env, complaint):
    """DEBUG off without a real secret key or explicit hosts: the app will not start."""
    result = manage("check", DEBUG="0", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_a_proper_production_setup_passes_check_deploy():
    """With a secret key and hosts, `manage.py check --deploy` reports nothing."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="parvis.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_defaults_need_nothing_installed():
    """DEBUG=1 alone runs with SQLite and the in-memory channel layer."""
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'])",
        DEBUG="1",
        DATABASE_URL="",
        REDIS_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
    ]


def test_the_suite_runs_on_the_services_the_environment_names():
    """DATABASE_URL and REDIS_URL (as `.ci/run` sets them) are what the app uses."""
    from channels.layers import get_channel_layer
    from django.db import connection

    url = os.environ.get("DATABASE_URL", "")
    expected_vendor = "postgresql" if url.startswith("postgres") else "sqlite"
    assert connection.vendor == expected_vendor
    layer = type(get_channel_layer()).__name__
    redis_layers = {"pubsub": "RedisPubSubChannelLayer", "core": "RedisChannelLayer"}
    expected_layer = (
        redis_layers[os.environ.get("REDIS_CHANNEL_LAYER", "pubsub")]
        if os.environ.get("REDIS_URL")
        else "InMemoryChannelLayer"
    )
    assert layer == expected_layer
