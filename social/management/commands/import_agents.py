"""Invite the agents listed in a CSV file and write their access codes out.

    python manage.py import_agents agents.csv --output codes.csv

Every line is checked before anything is written: one bad line and nothing is
created, and every error is listed with its line number. People who already have
an account or a pending invitation are skipped, so the same file can be imported
again (docs/INVITATIONS.md).
"""

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from social.actions.invitations import (
    ImportResult,
    ImportRow,
    default_days,
    invitations_import,
)
from social.errors import DomainErrors
from social.models import User

COLUMNS = (
    "display_name",
    "first_name",
    "last_name",
    "job_title",
    "department",
    "site",
    "role",
    "phone",
    "email",
)
OUTPUT_COLUMNS = ("display_name", "department", "site", "code", "expires_at")
# French spreadsheets export with semicolons; the output follows the input.
DELIMITERS = ",;\t"


class Command(BaseCommand):
    help = (
        "Create invitations for the agents of a CSV file and write their one-time "
        "access codes as CSV (display_name, department, site, code, expires_at)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file with a header line (UTF-8).")
        parser.add_argument(
            "--output",
            "-o",
            help="Where to write the codes (CSV); standard output when left out.",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help=f"How long the codes stay valid (default {default_days()}).",
        )
        parser.add_argument(
            "--created-by",
            metavar="USERNAME",
            help="The user recorded as the inviter.",
        )

    def handle(self, *args, **options) -> None:
        actor = None
        if options["created_by"]:
            actor = User.objects.filter(username=options["created_by"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['created_by']!r}.")
        output = options["output"]
        if output and Path(output).resolve() == Path(options["file"]).resolve():
            raise CommandError("--output must not overwrite the input file.")
        rows, delimiter = read_rows(options["file"])
        try:
            result = invitations_import(
                actor=actor, rows=rows, expires_in_days=options["expires_in_days"]
            )
        except DomainErrors as errors:
            raise CommandError(
                "Nothing was imported; fix these lines and run again:\n"
                + "\n".join(
                    describe(error.field, error.message) for error in errors.errors
                )
            ) from errors
        self.report(result, len(rows))
        if output:
            # With a BOM, so that spreadsheets show the accents right.
            with open(output, "w", encoding="utf-8-sig", newline="") as stream:
                write_codes(stream, result, delimiter)
            self.stderr.write(f"Codes written to {output}.")
        else:
            buffer = io.StringIO()
            write_codes(buffer, result, delimiter)
            self.stdout.write(buffer.getvalue(), ending="")

    def report(self, result: ImportResult, total: int) -> None:
        """Say what was done on standard error, keeping standard output for CSV."""
        for line, reason in result.skipped:
            self.stderr.write(f"line {line}: skipped, {reason}.")
        self.stderr.write(
            f"{len(result.created)} invitation(s) created, "
            f"{len(result.skipped)} line(s) skipped, out of {total}."
        )


def describe(field: str | None, message: str) -> str:
    """Show an error of the import: "line 3, phone: This is not a phone number."."""
    if not field:
        return message
    line, _, column = field.partition(".")
    if not line.isdigit():
        return f"{field}: {message}"
    return f"line {line}, {column}: {message}"


def read_rows(path: str) -> tuple[list[ImportRow], str]:
    """Read the agents file; CommandError if it is not a usable CSV."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise CommandError(f"No such file: {path}.") from error
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{path} is not UTF-8 text: save it as 'CSV UTF-8' and run again."
        ) from error
    header = text.splitlines()[0] if text.strip() else ""
    if not header:
        raise CommandError(f"{path} is empty: it needs a header line.")
    delimiter = max(DELIMITERS, key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    unknown = sorted(set(fields) - set(COLUMNS))
    problems = []
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(unknown)}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
    if "display_name" not in fields and not {"first_name", "last_name"} <= set(fields):
        problems.append("a display_name column, or first_name and last_name, is needed")
    if problems:
        raise CommandError(f"{path}, line 1: " + "; ".join(problems) + ".")
    reader.fieldnames = fields
    rows = []
    for record in reader:
        values = {key: (value or "") for key, value in record.items() if key in COLUMNS}
        if not any(value.strip() for value in values.values()):
            continue  # blank lines, or lines of empty cells left by spreadsheets
        rows.append(ImportRow(line=reader.line_num, **values))
    if not rows:
        raise CommandError(f"{path} lists nobody.")
    return rows, delimiter


def write_codes(stream, result: ImportResult, delimiter: str) -> None:
    """Write one line per new invitation, ready to print and hand out."""
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for issued in result.created:
        invitation = issued.invitation
        writer.writerow(
            (
                invitation.display_name,
                invitation.department.name if invitation.department else "",
                invitation.site.name if invitation.site else "",
                issued.code,
                timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
            )
        )
