"""`manage.py import_agents`: the first agents invited from a spreadsheet."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from social.codes import code_digest, code_normalize
from social.models import Department, Invitation, Role, Site
from tests.conftest import make_user

GOOD = """\
display_name,first_name,last_name,job_title,department,site,role,phone,email
,Jean,Dupont,Jardinier,Espaces verts,Centre technique,,06 12 34 56 78,
Léa Martin,,,Bibliothécaire,Culture et animation,Médiathèque,AGENT,,lea@example.org
Karim Benali,,,Agent de police,Police municipale,Hôtel de ville,agent,0611111111,
Sophie Bernard,,,Chargée de communication,Communication,Hôtel de ville,COMMUNICATOR,,
"""
BAD = """\
display_name,first_name,last_name,job_title,department,site,role,phone,email
Jean Dupont,,,,Espaces verts,,,not a phone,
,,,,Culture,,,,
Léa Martin,,,,,,MAYOR,,lea@
Karim Benali,,,,,,,0622222222,
Karim Bis,,,,,,,06 22 22 22 22,
"""


def run(path: Path, *args: str) -> tuple[str, str]:
    """Run the command; return its standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_agents", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "agents.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_invites_everyone_and_prints_their_codes(db, tmp_path):
    """Every line becomes an invitation, departments and sites are created, and
    the codes come out as CSV in the file's order."""
    # given
    Department.objects.create(name="Espaces verts", slug="espaces-verts")
    path = write(tmp_path, GOOD)
    # when
    out, err = run(path)
    # then
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["display_name"] for r in rows] == [
        "Jean Dupont",
        "Léa Martin",
        "Karim Benali",
        "Sophie Bernard",
    ]
    assert list(rows[0]) == ["display_name", "department", "site", "code", "expires_at"]
    assert rows[1]["department"] == "Culture et animation"
    assert rows[1]["site"] == "Médiathèque"
    for row in rows:
        invitation = Invitation.objects.get(
            code_hash=code_digest(code_normalize(row["code"]))
        )
        assert invitation.display_name == row["display_name"]
    assert sorted(Department.objects.values_list("name", flat=True)) == [
        "Communication",
        "Culture et animation",
        "Espaces verts",
        "Police municipale",
    ]
    assert Department.objects.get(name="Culture et animation").slug == (
        "culture-et-animation"
    )
    assert Site.objects.count() == 3
    jean = Invitation.objects.get(display_name="Jean Dupont")
    assert (jean.first_name, jean.phone, jean.role) == ("Jean", "0612345678", "AGENT")
    assert Invitation.objects.get(display_name="Karim Benali").role == Role.AGENT
    assert Invitation.objects.get(display_name="Sophie Bernard").role == (
        Role.COMMUNICATOR
    )
    assert "4 invitation(s) created" in err


def test_codes_are_written_to_the_output_file(db, tmp_path):
    """--output writes the codes to a file (with a BOM for spreadsheets);
    --expires-in-days and --created-by are applied."""
    # given
    admin = make_user("adele", role=Role.ADMIN)
    path = write(tmp_path, GOOD)
    output = tmp_path / "codes.csv"
    # when
    out, _err = run(
        path,
        "--output",
        str(output),
        "--expires-in-days",
        "10",
        "--created-by",
        "adele",
    )
    # then
    assert out == ""
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4
    expected = timezone.localtime(timezone.now() + timedelta(days=10))
    assert rows[0]["expires_at"][:10] == expected.strftime("%Y-%m-%d")
    assert set(Invitation.objects.values_list("created_by", flat=True)) == {admin.pk}


def test_a_bad_file_creates_nothing_and_lists_every_error(db, tmp_path):
    """One bad line and nothing is created; every error is shown with its line."""
    # given
    path = write(tmp_path, BAD)
    # when
    with pytest.raises(CommandError) as refused:
        run(path)
    # then
    message = str(refused.value)
    assert "line 2, phone:" in message
    assert "line 3, display_name:" in message
    assert "line 4, role:" in message
    assert "line 4, email:" in message
    assert "line 6, phone: The same person as on line 5" in message
    assert not Invitation.objects.exists()
    assert not Department.objects.exists()


def test_unknown_columns_are_refused(db, tmp_path):
    """A misspelt column is reported rather than silently ignored."""
    path = write(tmp_path, "display_name,telephone\nJean Dupont,0612345678\n")
    with pytest.raises(CommandError, match="unknown column"):
        run(path)
    assert not Invitation.objects.exists()


def test_running_the_same_file_again_creates_no_duplicates(db, tmp_path):
    """People with a pending invitation or an account are skipped and reported."""
    # given
    path = write(tmp_path, GOOD)
    run(path)
    Invitation.objects.filter(display_name="Sophie Bernard").delete()
    make_user(
        "sbernard",
        display_name="Sophie Bernard",
        department=Department.objects.get(name="Communication"),
    )
    # when
    out, err = run(path)
    # then
    assert list(csv.DictReader(io.StringIO(out))) == []
    assert Invitation.objects.count() == 3
    assert "line 2: skipped, already has a pending invitation." in err
    assert "line 5: skipped, already has an account." in err
    assert "0 invitation(s) created, 4 line(s) skipped" in err


def test_an_expired_invitation_does_not_block_a_new_one(db, tmp_path):
    """Someone whose code expired unused is invited again by the next import."""
    # given
    path = write(tmp_path, GOOD)
    run(path)
    Invitation.objects.filter(display_name="Jean Dupont").update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    # when
    out, _err = run(path)
    # then
    assert [r["display_name"] for r in csv.DictReader(io.StringIO(out))] == [
        "Jean Dupont"
    ]


def test_semicolon_files_and_accented_names_match_existing_departments(db, tmp_path):
    """French spreadsheets use semicolons; "ETAT CIVIL" is the "État civil" that
    exists; the output uses the input's delimiter."""
    # given
    Department.objects.create(name="État civil", slug="etat-civil")
    path = write(tmp_path, "display_name;department\nNina Petit;ETAT CIVIL\n")
    # when
    out, _err = run(path)
    # then
    assert out.splitlines()[0] == "display_name;department;site;code;expires_at"
    assert Department.objects.count() == 1
    assert Invitation.objects.get().department.name == "État civil"
