"""Invitations: one-time access codes that become accounts.

Only the SHA-256 of a code is stored; the code itself is returned once, by the
action that creates it. One pending invitation per person: inviting someone again
(same phone or email) through the API replaces their pending invitation, so a lost
code stops working; the CSV import skips such people instead, so that it can be
run again with the same file.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from social import access, throttle
from social.actions.auth import token_issue
from social.codes import code_digest, code_format, code_generate, code_normalize
from social.errors import DomainError, DomainErrors, ErrorCode, check_text
from social.models import Department, Invitation, Role, Site, User
from social.models.users import DISPLAY_NAME_MAX_LENGTH, fold
from social.phones import normalize_phone

MAX_DAYS = 365
MAX_BATCH = 200
NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
ORG_NAME_MAX_LENGTH = 120
USERNAME_MAX_LENGTH = 150

# The API's name of each field, used in errors of the GraphQL mutations.
API_FIELDS = {
    "display_name": "displayName",
    "first_name": "firstName",
    "last_name": "lastName",
    "job_title": "jobTitle",
    "department": "departmentId",
    "site": "siteId",
    "role": "role",
    "phone": "phone",
    "email": "email",
    "expires_in_days": "expiresInDays",
}

FieldName = Callable[[str], str]


@dataclass(frozen=True)
class InvitationDraft:
    """Who to invite, as the API receives it; ids are primary keys."""

    display_name: str
    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    department_id: int | None = None
    site_id: int | None = None
    role: str = Role.AGENT
    phone: str = ""
    email: str = ""
    expires_in_days: int | None = None


@dataclass(frozen=True)
class ImportRow:
    """One line of an agents CSV file; department and site are names."""

    line: int
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    department: str = ""
    site: str = ""
    role: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its code, formatted ("ABCD-EFGH"), shown only once."""

    invitation: Invitation
    code: str


@dataclass(frozen=True)
class AcceptedInvitation:
    """The account an invitation became, and the bearer token of this device."""

    user: User
    token: str


@dataclass
class ImportResult:
    """What an import created, and the lines it skipped with the reason."""

    created: list[IssuedInvitation] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def default_days() -> int:
    """How long a new invitation is valid, in days (setting INVITATION_DAYS)."""
    return settings.INVITATION_DAYS


# --- Validation -------------------------------------------------------------------


def _person(
    values: dict[str, str], name: FieldName
) -> tuple[dict[str, str], list[DomainError]]:
    """Check and normalise the personal fields of one invitation.

    Returns the cleaned values and every error found, so that a form (or a CSV
    line) shows all its mistakes at once.
    """
    cleaned: dict[str, str] = {}
    errors: list[DomainError] = []

    def text(key: str, max_length: int, required: bool = False) -> None:
        field = name(key)
        try:
            # The message names the bare field ("displayName must not be blank."),
            # the error's field the full path ("invitations.3.displayName").
            cleaned[key] = check_text(
                values.get(key),
                field=field.rsplit(".", 1)[-1],
                max_length=max_length,
                required=required,
            )
        except DomainError as error:
            error.field = field
            errors.append(error)

    text("first_name", NAME_MAX_LENGTH)
    text("last_name", NAME_MAX_LENGTH)
    if not (values.get("display_name") or "").strip():
        # The usual "First Last", as User.save() does for accounts.
        values = {
            **values,
            "display_name": " ".join(
                part
                for part in (cleaned.get("first_name"), cleaned.get("last_name"))
                if part
            ),
        }
    text("display_name", DISPLAY_NAME_MAX_LENGTH, required=True)
    text("job_title", NAME_MAX_LENGTH)

    role = (values.get("role") or "").strip().upper() or Role.AGENT
    if role in Role.values:
        cleaned["role"] = role
    else:
        errors.append(
            DomainError(
                ErrorCode.INVALID,
                f"The role must be one of {', '.join(Role.values)}.",
                name("role"),
            )
        )

    try:
        cleaned["phone"] = normalize_phone(
            values.get("phone") or "", field=name("phone")
        )
    except DomainError as error:
        errors.append(error)

    email = (values.get("email") or "").strip().lower()
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        if email:
            validate_email(email)
        cleaned["email"] = email
    except ValidationError:
        errors.append(
            DomainError(
                ErrorCode.INVALID, "This is not an email address.", name("email")
            )
        )
    return cleaned, errors


def _expiry(days: int | None, name: FieldName, now: datetime) -> datetime:
    """When an invitation made now for `days` days expires; INVALID out of range."""
    days = default_days() if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(
            ErrorCode.INVALID,
            f"An invitation lasts from 1 to {MAX_DAYS} days.",
            name("expires_in_days"),
        )
    return now + timedelta(days=days)


def _taken_contacts(phones: set[str], emails: set[str]) -> tuple[set[str], set[str]]:
    """The phones and (lower-case) emails among these that belong to a user."""
    taken_phones = (
        set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
        if phones
        else set()
    )
    taken_emails = (
        set(
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=emails)
            .values_list("email_lower", flat=True)
        )
        if emails
        else set()
    )
    return taken_phones, taken_emails


def _conflicts(
    people: Sequence[dict[str, str]], names: Sequence[FieldName]
) -> list[DomainError]:
    """CONFLICT where a phone or email belongs to a user or repeats in the batch."""
    taken_phones, taken_emails = _taken_contacts(
        {p["phone"] for p in people if p.get("phone")},
        {p["email"] for p in people if p.get("email")},
    )
    errors: list[DomainError] = []
    seen: dict[tuple[str, str], int] = {}
    for index, (person, name) in enumerate(zip(people, names, strict=True)):
        for key, taken in (("phone", taken_phones), ("email", taken_emails)):
            value = person.get(key)
            if not value:
                continue
            if value in taken:
                errors.append(
                    DomainError(
                        ErrorCode.CONFLICT,
                        f"This {key} already belongs to a user.",
                        name(key),
                    )
                )
            elif (key, value) in seen:
                errors.append(
                    DomainError(
                        ErrorCode.CONFLICT,
                        f"This {key} is already given to invitation "
                        f"{seen[key, value]} of this list.",
                        name(key),
                    )
                )
            else:
                seen[key, value] = index
    return errors


def _new_codes(count: int) -> list[str]:
    """Return `count` fresh codes, distinct and unused by any stored invitation."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {code_generate() for _ in range(count - len(codes))}
        used = set(
            Invitation.objects.filter(
                code_hash__in=[code_digest(code) for code in wanted]
            ).values_list("code_hash", flat=True)
        )
        codes |= {code for code in wanted if code_digest(code) not in used}
    return list(codes)


def _save(
    people: Sequence[dict], expiries: Sequence[datetime], actor: User | None
) -> list[IssuedInvitation]:
    """Create the invitations of checked `people`; run inside a transaction."""
    codes = _new_codes(len(people))
    invitations = [
        Invitation(
            code_hash=code_digest(code),
            created_by=actor,
            expires_at=expires_at,
            **person,
        )
        for person, code, expires_at in zip(people, codes, expiries, strict=True)
    ]
    # PostgreSQL and SQLite (3.35+) return the new ids from a bulk insert.
    Invitation.objects.bulk_create(invitations)
    return [
        IssuedInvitation(invitation=invitation, code=code_format(code))
        for invitation, code in zip(invitations, codes, strict=True)
    ]


# --- Creation through the API -----------------------------------------------------


def invitation_create(*, actor: User, draft: InvitationDraft) -> IssuedInvitation:
    """Invite one person (organisation admins only); see `invitation_create_many`."""
    return _create(actor=actor, drafts=[draft], prefix=lambda _index: "")[0]


def invitation_create_many(
    *, actor: User, drafts: Sequence[InvitationDraft]
) -> list[IssuedInvitation]:
    """Invite several people at once, all or none (organisation admins only).

    Errors name their field as "invitations.<index>.<field>" (from 0). A pending
    invitation with the same phone or email as a new one is replaced (it expires
    now). Runs in one transaction; locks nothing beyond the rows it writes.
    """
    return _create(
        actor=actor, drafts=drafts, prefix=lambda index: f"invitations.{index}."
    )


def _create(
    *,
    actor: User,
    drafts: Sequence[InvitationDraft],
    prefix: Callable[[int], str],
) -> list[IssuedInvitation]:
    if not access.can_manage_users(actor):
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only organisation administrators invite people."
        )
    if len(drafts) > MAX_BATCH:
        raise DomainError(
            ErrorCode.INVALID,
            f"At most {MAX_BATCH} invitations may be created at once.",
            "invitations",
        )
    now = timezone.now()
    departments = Department.objects.in_bulk(
        {d.department_id for d in drafts if d.department_id is not None}
    )
    sites = Site.objects.in_bulk({d.site_id for d in drafts if d.site_id is not None})
    names: list[FieldName] = []
    people: list[dict] = []
    expiries: list[datetime] = []
    errors: list[DomainError] = []
    for index, draft in enumerate(drafts):

        def name(key: str, _prefix: str = prefix(index)) -> str:
            return _prefix + API_FIELDS[key]

        person, found = _person(
            {
                "display_name": draft.display_name,
                "first_name": draft.first_name,
                "last_name": draft.last_name,
                "job_title": draft.job_title,
                "role": draft.role,
                "phone": draft.phone,
                "email": draft.email,
            },
            name,
        )
        errors += found
        for key, wanted, known in (
            ("department", draft.department_id, departments),
            ("site", draft.site_id, sites),
        ):
            if wanted is None:
                person[key] = None
            elif wanted in known:
                person[key] = known[wanted]
            else:
                errors.append(
                    DomainError(ErrorCode.NOT_FOUND, f"No such {key}.", name(key))
                )
        try:
            expiries.append(_expiry(draft.expires_in_days, name, now))
        except DomainError as error:
            errors.append(error)
        names.append(name)
        people.append(person)
    errors += _conflicts(people, names)
    if errors:
        raise DomainErrors(errors)
    with transaction.atomic():
        _supersede(people, now)
        return _save(people, expiries, actor)


def _supersede(people: Sequence[dict], now: datetime) -> int:
    """Expire the pending invitations of these people (same phone or email)."""
    phones = {p["phone"] for p in people if p["phone"]}
    emails = {p["email"] for p in people if p["email"]}
    if not phones and not emails:
        return 0
    return Invitation.objects.filter(
        Q(phone__in=phones) | Q(email__in=emails),
        accepted_at__isnull=True,
        expires_at__gt=now,
    ).update(expires_at=now)


# --- Bulk import from a CSV file --------------------------------------------------


def _org_key(name: str) -> str:
    """Names of departments and sites match whatever their case and accents."""
    return slugify(name)


def invitations_import(
    *, actor: User | None, rows: Sequence[ImportRow], expires_in_days: int | None
) -> ImportResult:
    """Invite the people of an agents file: every line or none.

    Every line is checked first; if any is wrong, DomainErrors lists them all with
    fields "<line>.<column>" and nothing is written. Departments and sites are
    matched by name (ignoring case and accents) and created when missing. People
    who already have an account or a pending invitation (same phone, else same
    email, else same display name in the same department) are skipped, so that
    the same file can be imported again. `actor` is recorded as the inviter; the
    command line is trusted, so it needs no role. One transaction.
    """
    now = timezone.now()
    errors: list[DomainError] = []
    try:
        expires_at = _expiry(expires_in_days, lambda _key: "expires_in_days", now)
    except DomainError as error:
        raise DomainErrors([error]) from error

    # A department is known by its name's key and by its slug, which can differ.
    departments = {}
    for department in Department.objects.all():
        departments[_org_key(department.name)] = department
        departments[department.slug] = department
    sites = {_org_key(s.name): s for s in Site.objects.all()}
    new_departments: dict[str, str] = {}
    new_sites: dict[str, str] = {}
    checked: list[tuple[ImportRow, dict, list[tuple[str, str]]]] = []
    in_file: dict[tuple[str, str], int] = {}
    for row in rows:

        def name(key: str, _line: int = row.line) -> str:
            return f"{_line}.{key}"

        person, row_errors = _person(
            {
                "display_name": row.display_name,
                "first_name": row.first_name,
                "last_name": row.last_name,
                "job_title": row.job_title,
                "role": row.role,
                "phone": row.phone,
                "email": row.email,
            },
            name,
        )
        for key, value, known, new in (
            ("department", row.department, departments, new_departments),
            ("site", row.site, sites, new_sites),
        ):
            label = (value or "").strip()
            person[key] = label
            if not label:
                continue
            org_key = _org_key(label)
            if len(label) > ORG_NAME_MAX_LENGTH:
                row_errors.append(
                    DomainError(
                        ErrorCode.TOO_LONG,
                        f"A {key} name has at most {ORG_NAME_MAX_LENGTH} characters.",
                        name(key),
                    )
                )
            elif not org_key:
                row_errors.append(
                    DomainError(
                        ErrorCode.INVALID,
                        f"A {key} name needs letters or digits.",
                        name(key),
                    )
                )
            elif org_key not in known:
                new.setdefault(org_key, label)
        errors += row_errors
        if row_errors:
            continue
        keys = _identity_keys(
            phone=person["phone"],
            email=person["email"],
            display_name=person["display_name"],
            department=_department_ref(
                departments.get(_org_key(person["department"])), person["department"]
            ),
        )
        same = next((k for k in keys if k in in_file), None)
        if same is not None:
            column = "display_name" if same[0] == "name" else same[0]
            errors.append(
                DomainError(
                    ErrorCode.CONFLICT,
                    f"The same person as on line {in_file[same]} (same {column}).",
                    name(column),
                )
            )
            continue
        in_file.update(dict.fromkeys(keys, row.line))
        checked.append((row, person, keys))
    if errors:
        raise DomainErrors(errors)

    result = ImportResult()
    existing = _existing_people()
    to_create: list[dict] = []
    for row, person, keys in checked:
        reason = next((existing[k] for k in keys if k in existing), None)
        if reason:
            result.skipped.append((row.line, reason))
        else:
            to_create.append(person)

    with transaction.atomic():
        for org_key, label in new_departments.items():
            departments[org_key] = Department.objects.create(name=label, slug=org_key)
        for org_key, label in new_sites.items():
            sites[org_key] = Site.objects.create(name=label)
        people = []
        for person in to_create:
            department, site = person["department"], person["site"]
            people.append(
                {
                    **person,
                    "department": departments[_org_key(department)]
                    if department
                    else None,
                    "site": sites[_org_key(site)] if site else None,
                }
            )
        result.created = _save(people, [expires_at] * len(people), actor)
    return result


def _identity_keys(
    *, phone: str, email: str, display_name: str, department: str
) -> list[tuple[str, str]]:
    """How the import recognises a person: by phone and email, and only when they
    have neither, by display name (any case and accents) and department."""
    keys = [
        (key, value) for key, value in (("phone", phone), ("email", email)) if value
    ]
    return keys or [("name", f"{fold(display_name)}|{department}")]


def _department_ref(department: Department | None, label: str = "") -> str:
    """The department of an identity key: its id when it exists, else its name."""
    if department is not None:
        return f"#{department.pk}"
    return _org_key(label)


def _existing_people() -> dict[tuple[str, str], str]:
    """Identity keys of people with an account or a pending invitation -> reason."""
    existing: dict[tuple[str, str], str] = {}
    fields = ("phone", "email", "display_name", "department_id")
    pending = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).values_list(*fields)
    for reason, found in (
        ("already has a pending invitation", pending),
        ("already has an account", User.objects.values_list(*fields)),
    ):
        for phone, email, display_name, department_id in found:
            for key in _identity_keys(
                phone=phone,
                email=email.lower(),
                display_name=display_name,
                department=f"#{department_id}" if department_id else "",
            ):
                existing[key] = reason
    return existing


# --- Acceptance -------------------------------------------------------------------


def invitation_accept(
    *,
    code: str,
    username: str,
    password: str,
    client_address: str,
    user_agent: str = "",
) -> AcceptedInvitation:
    """Turn an invitation into an account and a bearer token; anyone may do it.

    Unknown codes are NOT_FOUND, malformed ones INVALID, used or expired ones
    CLOSED, and then nothing changes. Bad codes count as failed sign-ins of the
    client's address (social.throttle.Throttled when over the cap). Locks the
    invitation's row until the account exists, so concurrent acceptances of one
    code create exactly one account.
    """
    attempt = throttle.sign_in_attempt(identifier=None, address=client_address)
    normalized = code_normalize(code)
    if normalized is None:
        raise DomainError(
            ErrorCode.INVALID,
            "An access code has 8 letters and digits, such as ABCD-EFGH.",
            "code",
        )
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(code_hash=code_digest(normalized))
            .first()
        )
        if invitation is None:
            raise DomainError(ErrorCode.NOT_FOUND, "This code does not exist.", "code")
        if invitation.accepted_at is not None:
            raise DomainError(ErrorCode.CLOSED, "This code was already used.", "code")
        now = timezone.now()
        if invitation.expires_at <= now:
            raise DomainError(
                ErrorCode.CLOSED,
                "This code has expired or was replaced: ask for a new one.",
                "code",
            )
        # A valid code is no guess: give the address its attempt back.
        attempt.succeeded()
        user = _new_user(invitation, username, password)
        invitation.accepted_at = now
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
        token = token_issue(user=user, name="invitation", user_agent=user_agent)
    return AcceptedInvitation(user=user, token=token)


def _new_user(invitation: Invitation, username: str, password: str) -> User:
    """Create the invited person's account; DomainErrors on username and password."""
    username = (username or "").strip()
    errors: list[DomainError] = []
    try:
        check_text(username, field="username", max_length=USERNAME_MAX_LENGTH)
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            errors.append(
                DomainError(
                    ErrorCode.CONFLICT, "This username is already taken.", "username"
                )
            )
    except DomainError as error:
        errors.append(error)
    except ValidationError as error:
        errors.append(
            DomainError(ErrorCode.INVALID, " ".join(error.messages), "username")
        )
    # A contact taken since the invitation was made (e.g. by an account made in
    # the Django admin) is left out rather than blocking the agent at the door.
    taken_phones, taken_emails = _taken_contacts(
        {invitation.phone} - {""}, {invitation.email.lower()} - {""}
    )
    user = User(
        username=username,
        display_name=invitation.display_name,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        job_title=invitation.job_title,
        department_id=invitation.department_id,
        site_id=invitation.site_id,
        role=invitation.role,
        phone="" if invitation.phone in taken_phones else invitation.phone,
        email="" if invitation.email.lower() in taken_emails else invitation.email,
    )
    if not password:
        errors.append(DomainError(ErrorCode.REQUIRED, "Choose a password.", "password"))
    else:
        try:
            password_validation.validate_password(password, user=user)
        except ValidationError as error:
            errors.append(
                DomainError(ErrorCode.INVALID, " ".join(error.messages), "password")
            )
    if errors:
        raise DomainErrors(errors)
    user.set_password(password)
    try:
        # A savepoint: a username taken by a concurrent sign-up (in another case)
        # must not break the surrounding transaction.
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise DomainError(
            ErrorCode.CONFLICT, "This username is already taken.", "username"
        ) from error
    return user
