"""The committed schema.graphql is the SDL of the running schema."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command


def test_committed_schema_matches_the_running_schema(tmp_path: Path):
    """`make schema` would change nothing: regenerate and commit it otherwise."""
    # given
    generated = tmp_path / "schema.graphql"
    # when
    call_command("export_schema", "graphql_schema.schema:schema", path=str(generated))
    # then
    committed = Path(settings.BASE_DIR, "schema.graphql").read_text(encoding="utf-8")
    assert generated.read_text(encoding="utf-8") == committed, (
        "schema.graphql is stale: run `make schema` and commit it."
    )
