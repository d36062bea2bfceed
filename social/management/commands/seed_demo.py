"""Load the demo town hall; running it again adds nothing twice.

A believable French town hall: about 160 agents in ten departments on five sites,
with French names (accents included), job titles, and the contact details a real
one has: field agents (parks, technical services, police) have a work phone and no
email, office staff have an email. Everything is drawn from `random.Random(SEED)`,
so every run builds the same people; existing usernames, departments (by slug) and
sites (by name) are kept as they are.

Then what they talk about (`social.management.demo_content`): social, topic,
project and secret groups and one per department, four weeks of posts,
comments and reactions, and a few chat conversations, written straight to the
database but within the rules of `social.access`. A group is keyed on its slug:
one that exists already is left as it is, with its members and posts;
organisation-wide posts are keyed on their author and body; a direct
conversation on its pair, a group one on its creator and title.
"""

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from social import access, search
from social.actions.chat import chat_digest
from social.actions.polls import voter_key
from social.management import demo_content as content
from social.management.demo_content import ADMIN, MEMBER, OWNER, GroupSpec, PostSpec
from social.markdown import render_markdown
from social.models import (
    Comment,
    Conversation,
    ConversationKind,
    Department,
    Group,
    GroupKind,
    GroupRole,
    Membership,
    MembershipStatus,
    Message,
    Participant,
    Poll,
    PollBallot,
    PollOption,
    PollParticipation,
    Post,
    Reaction,
    Role,
    Site,
    User,
    Visibility,
    direct_key,
)
from social.models.users import fold

SEED = 1789
DEMO_PASSWORD = "parvis-demo"  # noqa: S105 - documented demo accounts
EMAIL_DOMAIN = "mairie-parvis.example"  # a reserved TLD: no mail ever leaves

SITES = [
    # name, address
    ("Hôtel de ville", "1 place de la République, Parvis-sur-Loire"),
    ("Centre technique municipal", "12 rue des Artisans, Parvis-sur-Loire"),
    ("Médiathèque", "3 quai de la Loire, Parvis-sur-Loire"),
    ("Serres municipales", "40 chemin des Serres, Parvis-sur-Loire"),
    ("Poste de police", "8 rue Jean-Jaurès, Parvis-sur-Loire"),
]


@dataclass(frozen=True)
class Service:
    """A department of the demo town hall and the people it employs."""

    name: str
    slug: str
    size: int
    sites: tuple[str, ...]
    # The head of service first, then the other jobs: (masculine, feminine).
    jobs: tuple[tuple[str, str], ...]
    # The share of its agents who work in the field: a phone, no email.
    field_share: float


SERVICES = [
    Service(
        "Direction générale",
        "direction-generale",
        6,
        ("Hôtel de ville",),
        (
            ("Directeur général des services", "Directrice générale des services"),
            ("Directeur général adjoint", "Directrice générale adjointe"),
            ("Assistant de direction", "Assistante de direction"),
            ("Chargé de mission", "Chargée de mission"),
            ("Juriste", "Juriste"),
        ),
        0.0,
    ),
    Service(
        "Ressources humaines",
        "ressources-humaines",
        10,
        ("Hôtel de ville",),
        (
            (
                "Responsable des ressources humaines",
                "Responsable des ressources humaines",
            ),
            ("Gestionnaire paie", "Gestionnaire paie"),
            ("Gestionnaire carrières", "Gestionnaire carrières"),
            ("Chargé de recrutement", "Chargée de recrutement"),
            ("Chargé de formation", "Chargée de formation"),
        ),
        0.0,
    ),
    Service(
        "Finances",
        "finances",
        8,
        ("Hôtel de ville",),
        (
            ("Responsable des finances", "Responsable des finances"),
            ("Comptable", "Comptable"),
            ("Gestionnaire budgétaire", "Gestionnaire budgétaire"),
            ("Acheteur public", "Acheteuse publique"),
        ),
        0.0,
    ),
    Service(
        "Informatique",
        "informatique",
        7,
        ("Hôtel de ville",),
        (
            ("Responsable informatique", "Responsable informatique"),
            ("Technicien support", "Technicienne support"),
            (
                "Administrateur systèmes et réseaux",
                "Administratrice systèmes et réseaux",
            ),
            ("Chef de projet numérique", "Cheffe de projet numérique"),
        ),
        0.0,
    ),
    Service(
        "Communication",
        "communication",
        6,
        ("Hôtel de ville",),
        (
            ("Responsable de la communication", "Responsable de la communication"),
            ("Chargé de communication", "Chargée de communication"),
            ("Graphiste", "Graphiste"),
            ("Photographe", "Photographe"),
        ),
        0.0,
    ),
    Service(
        "État civil",
        "etat-civil",
        12,
        ("Hôtel de ville",),
        (
            ("Responsable de l'état civil", "Responsable de l'état civil"),
            ("Officier d'état civil", "Officière d'état civil"),
            ("Agent d'accueil", "Agente d'accueil"),
            ("Agent des formalités administratives", "Agente des formalités"),
            ("Agent du cimetière", "Agente du cimetière"),
        ),
        0.15,
    ),
    Service(
        "Culture et animation",
        "culture-et-animation",
        20,
        ("Médiathèque", "Hôtel de ville"),
        (
            ("Directeur de la médiathèque", "Directrice de la médiathèque"),
            ("Bibliothécaire", "Bibliothécaire"),
            ("Assistant de conservation", "Assistante de conservation"),
            ("Animateur culturel", "Animatrice culturelle"),
            ("Médiateur numérique", "Médiatrice numérique"),
            ("Régisseur son et lumière", "Régisseuse son et lumière"),
        ),
        0.4,
    ),
    Service(
        "Espaces verts",
        "espaces-verts",
        32,
        ("Serres municipales", "Centre technique municipal"),
        (
            ("Responsable des espaces verts", "Responsable des espaces verts"),
            ("Chef d'équipe espaces verts", "Cheffe d'équipe espaces verts"),
            ("Jardinier", "Jardinière"),
            ("Élagueur", "Élagueuse"),
            ("Serriste", "Serriste"),
            (
                "Agent d'entretien des espaces verts",
                "Agente d'entretien des espaces verts",
            ),
        ),
        0.85,
    ),
    Service(
        "Services techniques",
        "services-techniques",
        44,
        ("Centre technique municipal", "Hôtel de ville"),
        (
            ("Directeur des services techniques", "Directrice des services techniques"),
            ("Chef d'équipe voirie", "Cheffe d'équipe voirie"),
            ("Agent de voirie", "Agente de voirie"),
            ("Électricien", "Électricienne"),
            ("Plombier", "Plombière"),
            ("Menuisier", "Menuisière"),
            ("Peintre en bâtiment", "Peintre en bâtiment"),
            ("Mécanicien", "Mécanicienne"),
            ("Agent d'entretien des bâtiments", "Agente d'entretien des bâtiments"),
            ("Agent de propreté urbaine", "Agente de propreté urbaine"),
        ),
        0.85,
    ),
    Service(
        "Police municipale",
        "police-municipale",
        12,
        ("Poste de police",),
        (
            ("Chef de service de police municipale", "Cheffe de service de police"),
            ("Brigadier-chef principal", "Brigadière-cheffe principale"),
            ("Gardien-brigadier", "Gardienne-brigadière"),
            ("Agent de surveillance de la voie publique", "Agente de surveillance"),
        ),
        0.9,
    ),
]


def _names(text: str) -> list[str]:
    """The space-separated names of `text`."""
    return text.split()


FIRST_NAMES_F = _names(
    "Agnès Amandine Anaïs Anne Aurélie Béatrice Camille Capucine Céline Chantal "
    "Chloé Christine Claire Clémence Coralie Delphine Élise Élodie Émilie Emma "
    "Fatima Florence Gaëlle Hélène Inès Isabelle Jeanne Joëlle Julie Karima "
    "Laëtitia Laure Léa Lina Louise Lucie Manon Marie Maryse Mélanie Nadia "
    "Nathalie Noémie Océane Pauline Rose Sandrine Sarah Séverine Sophie Sylvie "
    "Thérèse Valérie Véronique Yasmina Zoé"
)
FIRST_NAMES_M = _names(
    "Adrien Alain Alexandre Antoine Arnaud Aurélien Baptiste Benoît Bruno Cédric "
    "Christophe Damien David Denis Didier Éric Étienne Fabrice Florian François "
    "Frédéric Gaël Gérard Guillaume Hervé Hugo Jérémy Jérôme Joël Jonathan Julien "
    "Karim Kévin Laurent Loïc Louis Lucas Maël Marc Mathieu Mehdi Michel Mickaël "
    "Nicolas Noël Olivier Pascal Patrick Raphaël Rémi Samuel Sébastien Stéphane "
    "Thierry Thomas Timothée Yannick Yves"
)
LAST_NAMES = [
    *_names(
        "Martin Bernard Dubois Thomas Robert Richard Durand Moreau Simon Laurent "
        "Lefèvre Michel Garcia Bertrand Roux Vincent Fournier Morel Girard André "
        "Mercier Dupont Lambert Bonnet Legrand Garnier Faure Rousseau Blanc Guérin "
        "Muller Henry Roussel Perrin Morin Mathieu Clément Gauthier Dumont Lopez "
        "Fontaine Chevalier Robin Masson Sanchez Nguyen Boyer Lemaire Duval Joly "
        "Roche Meyer Meunier Pérez Marchand Dufour Blanchard Barbier Brun Dumas "
        "Brunet Schmitt Leroux Colin Fernandez Renard Arnaud Caron Aubert Giraud "
        "Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Lacroix Fabre Dupuis "
        "Hubert Rivière Guillaume Moulin Berger Lecomte Ménard Fleury Deschamps "
        "Carpentier Maillard Aubry Prévost Poirier Charpentier Huet Baron Carré "
        "Breton Rémy Benali Haddad Diallo Traoré Ferreira Mendes Kaya Bouvier Besnard "
        "Chauvin Hamon Tessier Texier Boucher Jégou Cordier Marchal Lebreton"
    ),
    "Da Silva",
    "Le Gall",
    "Le Roux",
    "De Oliveira",
    "Saint-Martin",
]

DEMO_ACCOUNTS = [
    # username, first name, last name, role, department slug, site, job, phone, email
    (
        "admin",
        "Camille",
        "Martin",
        Role.ADMIN,
        "direction-generale",
        "Hôtel de ville",
        "Chargée de mission transformation numérique",
        "",
        f"camille.martin@{EMAIL_DOMAIN}",
    ),
    (
        "agathe.leroy",
        "Agathe",
        "Leroy",
        Role.COMMUNICATOR,
        "communication",
        "Hôtel de ville",
        "Chargée de communication",
        "0601020304",
        f"agathe.leroy@{EMAIL_DOMAIN}",
    ),
    (
        "gregoire.petit",
        "Grégoire",
        "Petit",
        Role.AGENT,
        "espaces-verts",
        "Serres municipales",
        "Jardinier",
        "0605060708",
        "",
    ),
]


def username_of(first_name: str, last_name: str) -> str:
    """`prenom.nom` without accents, spaces or apostrophes ("Le Gall" -> "le-gall")."""
    parts = (
        re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
        for name in (
            first_name,
            last_name,
        )
    )
    return ".".join(parts)


class Command(BaseCommand):
    help = "Create the demo town hall, its ~160 agents and its accounts (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a demonstration server only).",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            # The demo accounts' password is published: never on a real server.
            raise CommandError(
                "seed_demo creates accounts whose password is published in the "
                "README: run it with DEBUG=1, or with --force on a demo server."
            )
        # Not for secrets: the same seed builds the same town hall every time.
        rng = random.Random(SEED)  # noqa: S311
        departments = self.seed_departments()
        sites = self.seed_sites()
        people = self.demo_accounts(departments, sites) + self.agents(
            rng, departments, sites
        )
        created = self.create_new(people)
        self.stdout.write(
            f"Demo data: {len(created)} account(s) created; "
            f"{User.objects.count()} users, {len(departments)} departments, "
            f"{len(sites)} sites."
        )
        talk = TownTalk(
            # A generator of its own: the people above do not shift the content.
            random.Random(SEED),  # noqa: S311
            User.objects.filter(
                username__in=[person.username for person in people], is_active=True
            )
            .select_related("department")
            .order_by("username"),
            departments,
        )
        talk.seed()
        polls, poll_posts = seed_polls(random.Random(SEED))  # noqa: S311
        talk.created[Post] += poll_posts
        conversations, messages = seed_conversations(talk)
        self.stdout.write(
            f"Demo content: {talk.created[Group]} group(s), "
            f"{talk.created[Membership]} membership(s), {talk.created[Post]} "
            f"post(s), {talk.created[Comment]} comment(s), "
            f"{talk.created[Reaction]} reaction(s) created; "
            f"{Group.objects.count()} groups, {Post.objects.count()} posts, "
            f"{Comment.objects.count()} comments, {Reaction.objects.count()} "
            "reactions."
        )
        self.stdout.write(
            f"Demo polls: {polls} poll(s) created ({poll_posts} with a post of "
            "their own); "
            f"{Poll.objects.count()} polls."
        )
        self.stdout.write(
            f"Demo chat: {conversations} conversation(s), {messages} message(s) "
            f"created; {Conversation.objects.count()} conversations."
        )
        if (
            talk.created[Post]
            or talk.created[Comment]
            or talk.created[Group]
            or messages
        ):
            # Bulk inserts skip the actions that index each write.
            self.stdout.write(f"Search index: {search.rebuild()} entries.")
        self.stdout.write(f"Demo accounts (password '{DEMO_PASSWORD}'):")
        for username, first, last, role, *_rest in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<16} {first} {last}, {role.label}")

    def seed_departments(self) -> dict[str, Department]:
        """Get or create the departments, keyed on their slug."""
        return {
            service.slug: Department.objects.get_or_create(
                slug=service.slug, defaults={"name": service.name}
            )[0]
            for service in SERVICES
        }

    def seed_sites(self) -> dict[str, Site]:
        """Get or create the sites, keyed on their name."""
        return {
            name: Site.objects.get_or_create(name=name, defaults={"address": address})[
                0
            ]
            for name, address in SITES
        }

    def demo_accounts(
        self, departments: dict[str, Department], sites: dict[str, Site]
    ) -> list[User]:
        """The documented accounts; `admin` is also a Django superuser."""
        people = []
        for row in DEMO_ACCOUNTS:
            username, first, last, role, department, site, job, phone, email = row
            people.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    role=role,
                    department=departments[department],
                    site=sites[site],
                    job_title=job,
                    phone=phone,
                    email=email,
                    is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN,
                )
            )
        return people

    def agents(
        self,
        rng: random.Random,
        departments: dict[str, Department],
        sites: dict[str, Site],
    ) -> list[User]:
        """Every other agent, drawn from `rng`: the same on every run."""
        taken_usernames = {row[0] for row in DEMO_ACCOUNTS}
        taken_phones = {row[7] for row in DEMO_ACCOUNTS if row[7]}
        now = timezone.now()
        people = []
        for service in SERVICES:
            for index in range(service.size):
                feminine = rng.random() < 0.5
                first = rng.choice(FIRST_NAMES_F if feminine else FIRST_NAMES_M)
                last = rng.choice(LAST_NAMES)
                username = base = username_of(first, last)
                suffix = 1
                while username in taken_usernames:
                    suffix += 1
                    username = f"{base}{suffix}"
                taken_usernames.add(username)
                jobs = service.jobs
                # The first job is the head of service; the others are shared out.
                masculine_job, feminine_job = (
                    jobs[0] if index == 0 else rng.choice(jobs[1:])
                )
                in_the_field = index > 0 and rng.random() < service.field_share
                phone = ""
                if in_the_field or rng.random() < 0.5:
                    while not phone or phone in taken_phones:
                        phone = f"0{rng.choice('67')}{rng.randrange(10**8):08d}"
                    taken_phones.add(phone)
                seen = rng.random() < 0.75
                people.append(
                    User(
                        username=username,
                        first_name=first,
                        last_name=last,
                        job_title=feminine_job if feminine else masculine_job,
                        department=departments[service.slug],
                        site=sites[
                            service.sites[0]
                            if index == 0 or rng.random() < 0.8
                            else rng.choice(service.sites)
                        ],
                        phone=phone,
                        email="" if in_the_field else f"{username}@{EMAIL_DOMAIN}",
                        last_seen_at=(
                            now - timedelta(minutes=rng.randrange(60 * 24 * 30))
                            if seen
                            else None
                        ),
                    )
                )
        return people

    def create_new(self, people: list[User]) -> list[User]:
        """Insert the people whose username is free, in one go, and return them.

        One password hash serves every demo account: hashing 160 times with
        Argon2 would take seconds. A phone or email someone else already has is
        left out rather than failing.
        """
        existing = User.objects.filter(username__in=[p.username for p in people])
        existing_usernames = set(existing.values_list("username", flat=True))
        new = [p for p in people if p.username not in existing_usernames]
        used_phones = set(
            User.objects.filter(
                phone__in=[p.phone for p in new if p.phone]
            ).values_list("phone", flat=True)
        )
        used_emails = {
            email.lower()
            for email in User.objects.exclude(email="").values_list("email", flat=True)
        }
        password = make_password(DEMO_PASSWORD)
        for person in new:
            if person.phone in used_phones:
                person.phone = ""
            if person.email.lower() in used_emails:
                person.email = ""
            person.password = password
            person.display_name = f"{person.first_name} {person.last_name}"
            person.search_text = person.folded_names()
        return User.objects.bulk_create(new)


# Posts go out on working days between these hours (local time).
WORKDAY = (7 * 60 + 45, 17 * 60 + 30)
# Comments and reactions come between these hours.
AWAKE = (7, 21)
CONTENT_DAYS = 28
GROUPS_AGE = timedelta(days=42)


def department_groups(departments: dict[str, Department]) -> list[GroupSpec]:
    """One private group per department, owned by its head."""
    return [
        GroupSpec(
            service.slug,
            service.name,
            GroupKind.DEPARTMENT,
            Visibility.PRIVATE,
            content.DEPARTMENT_GROUP_DESCRIPTION.format(name=service.name),
            owner=f"head:{service.slug}",
            department=service.slug,
        )
        for service in SERVICES
        if service.slug in departments
    ]


def group_posts() -> dict[str, list[PostSpec]]:
    """The posts of each group, oldest first, by group slug."""
    posts: dict[str, list[PostSpec]] = {}
    for spec in content.LETTERS + content.PROJECT_POSTS:
        posts.setdefault(spec.group, []).append(spec)
    posts["la-mairie-dans-la-marmite"] = [
        PostSpec(
            "la-mairie-dans-la-marmite", OWNER if i == 0 else MEMBER, body, "recipe"
        )
        for i, body in enumerate(content.RECIPES)
    ]
    posts["un-jour-une-fleur"] = [
        PostSpec(
            "un-jour-une-fleur",
            ADMIN if i % 3 == 2 else OWNER,
            content.RIDDLE_BODY.format(number=i + 1, riddle=riddle),
            "riddle",
        )
        for i, (riddle, _answer) in enumerate(content.RIDDLES)
    ]
    posts["la-machine-a-cafe"] = [
        PostSpec("la-machine-a-cafe", MEMBER, body, "social")
        for body in content.SOCIAL_POSTS
    ]
    for slug, items in content.DEPARTMENT_POSTS.items():
        posts[slug] = [
            PostSpec(
                slug,
                {"head": f"head:{slug}", "member": MEMBER}.get(author, author),
                body,
                "work",
            )
            for author, body in items
        ]
    return posts


RIDDLE_ANSWERS = {
    content.RIDDLE_BODY.format(number=i + 1, riddle=riddle): answer
    for i, (riddle, answer) in enumerate(content.RIDDLES)
}


class TownTalk:
    """Seed the groups and what is said in them, from `rng`, within the rules of
    `social.access`; `created` counts the rows added, by model."""

    def __init__(
        self,
        rng: random.Random,
        people: Iterable[User],
        departments: dict[str, Department],
    ) -> None:
        self.rng = rng
        self.people = list(people)
        self.departments = departments
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.by_username = {person.username: person for person in self.people}
        self.by_pk = {person.pk: person for person in self.people}
        self.staff: dict[str, list[User]] = {}
        for person in self.people:
            slug = person.department.slug if person.department else ""
            self.staff.setdefault(slug, []).append(person)
        heads = {service.slug: set(service.jobs[0]) for service in SERVICES}
        self.heads = {
            slug: next(
                (p for p in staff if p.job_title in heads.get(slug, ())), staff[0]
            )
            for slug, staff in self.staff.items()
        }
        self.memberships: dict[int, dict[int, Membership]] = {}
        self.created: dict[type[models.Model], int] = dict.fromkeys(
            (Group, Membership, Post, Comment, Reaction), 0
        )

    # --- People ---------------------------------------------------------------

    def person(self, reference: str) -> User | None:
        """The person a reference of `demo_content` names, if they exist."""
        kind, _, slug = reference.partition(":")
        if kind == "head":
            return self.heads.get(slug)
        if kind == "agent":
            demo = {row[0] for row in DEMO_ACCOUNTS}
            return next(
                (
                    p
                    for p in self.staff.get(slug, [])
                    if p != self.heads.get(slug) and p.username not in demo
                ),
                None,
            )
        return self.by_username.get(reference)

    def active_members(self, group: Group) -> list[User]:
        """The group's active members, in a stable order."""
        return [
            self.by_pk[user_id]
            for user_id, membership in self.memberships[group.pk].items()
            if membership.status == MembershipStatus.ACTIVE
        ]

    # --- Seeding --------------------------------------------------------------

    def seed(self) -> None:
        """Add the missing groups with their members and posts, and the missing
        organisation-wide posts, with comments and reactions on every new post."""
        groups = self.seed_groups(content.GROUPS + department_groups(self.departments))
        posts = group_posts()
        planned: list[tuple[Group | None, list[PostSpec]]] = [
            (None, self.missing_organisation_posts())
        ]
        planned += [(group, posts.get(group.slug, [])) for group in groups]
        self.seed_posts(planned)

    def seed_groups(self, specs: list[GroupSpec]) -> list[Group]:
        """Create the groups whose slug is free, with their memberships."""
        taken = set(
            Group.objects.filter(slug__in=[s.slug for s in specs]).values_list(
                "slug", flat=True
            )
        )
        specs = [spec for spec in specs if spec.slug not in taken]
        groups = []
        for spec in specs:
            groups.append(
                Group(
                    name=spec.name,
                    slug=spec.slug,
                    description=spec.description,
                    kind=spec.kind,
                    visibility=spec.visibility,
                    department=self.departments.get(spec.department or ""),
                    created_by=self.person(spec.owner),
                )
            )
        born = self.at(self.today - GROUPS_AGE, 9 * 60)
        self.insert(Group, [(group, born) for group in groups])
        rows = []
        for spec, group in zip(specs, groups, strict=True):
            rows += self.members_of(spec, group, born)
        self.insert(Membership, rows)
        return groups

    def members_of(
        self, spec: GroupSpec, group: Group, born: datetime
    ) -> list[tuple[Membership, datetime]]:
        """The memberships of a new group, and when each began."""
        chosen: dict[int, Membership] = {}
        self.memberships[group.pk] = chosen

        def add(user: User | None, role: str, status: str, when: datetime) -> None:
            if user is not None and user.pk not in chosen:
                chosen[user.pk] = Membership(
                    group=group, user=user, role=role, status=status
                )
                rows.append((chosen[user.pk], when))

        rows: list[tuple[Membership, datetime]] = []
        add(self.person(spec.owner), GroupRole.OWNER, MembershipStatus.ACTIVE, born)
        for reference in spec.admins:
            add(self.person(reference), GroupRole.ADMIN, MembershipStatus.ACTIVE, born)
        founders = [self.person(reference) for reference in spec.members]
        founders += self.staff.get(spec.department, []) if spec.department else []
        for user in founders:
            add(user, GroupRole.MEMBER, MembershipStatus.ACTIVE, self.joined(born))
        others = [p for p in self.people if p.pk not in chosen]
        joining = self.rng.sample(others, round(spec.share * len(others)))
        for user in sorted(joining, key=lambda p: p.username):
            add(user, GroupRole.MEMBER, MembershipStatus.ACTIVE, self.joined(born))
        others = [p for p in others if p.pk not in chosen]
        for user in self.rng.sample(others, min(spec.pending, len(others))):
            asked = self.at(
                self.today - timedelta(days=self.rng.randrange(1, 6)),
                self.rng.randrange(*WORKDAY),
            )
            add(user, GroupRole.MEMBER, MembershipStatus.PENDING, asked)
        return rows

    def joined(self, born: datetime) -> datetime:
        """When a member joined a group born at `born`: within its first ten days,
        before the first post."""
        day = born.date() + timedelta(days=self.rng.randrange(1, 10))
        return self.at(day, self.rng.randrange(*WORKDAY))

    def missing_organisation_posts(self) -> list[PostSpec]:
        """The organisation-wide posts not seeded yet, by author and body."""
        existing = set(
            Post.objects.filter(group=None).values_list("author__username", "body")
        )
        return [
            spec
            for spec in content.ORGANISATION_POSTS
            if (spec.author, spec.body) not in existing
        ]

    def seed_posts(self, planned: list[tuple[Group | None, list[PostSpec]]]) -> None:
        """Create the planned posts, then their comments and reactions."""
        rows: list[tuple[Post, datetime]] = []
        tones: list[str] = []
        for group, specs in planned:
            for spec, when in zip(specs, self.post_times(len(specs)), strict=True):
                author = self.author(spec, group)
                if author is None:
                    continue
                post = Post(
                    group=group,
                    author=author,
                    body=spec.body,
                    body_html=render_markdown(spec.body),
                    is_announcement=spec.is_announcement
                    and access.can_publish_org_wide(author),
                )
                membership = self.memberships[group.pk][author.pk] if group else None
                post.is_pinned = spec.is_pinned and access.can_pin_post(
                    author, post, membership
                )
                rows.append((post, when))
                tones.append(spec.tone)
        self.insert(Post, rows)
        self.seed_comments(
            [(post, when, tone) for (post, when), tone in zip(rows, tones, strict=True)]
        )

    def author(self, spec: PostSpec, group: Group | None) -> User | None:
        """Who writes `spec`: someone allowed to post there, or None."""
        if group is None:
            author = self.person(spec.author)
            return author if access.can_publish_org_wide(author) else None
        members = self.memberships[group.pk]
        if spec.author == MEMBER:
            active = self.active_members(group)
            author = self.rng.choice(active) if active else None
        elif spec.author in (OWNER, ADMIN):
            first: dict[str, User] = {}
            for user_id, membership in members.items():
                first.setdefault(membership.role, self.by_pk[user_id])
            # An admin, or the owner when the group has none.
            author = first.get(GroupRole.ADMIN) if spec.author == ADMIN else None
            author = author or first.get(GroupRole.OWNER)
        else:
            author = self.person(spec.author)
        if author is None or not access.can_post_in_group(
            author, members.get(author.pk)
        ):
            return None
        return author

    def readers(self, post: Post) -> list[User]:
        """Who comments on and reacts to `post`: everyone for an organisation-wide
        post, the active members of its group otherwise."""
        if post.group_id is None:
            return self.people
        return self.active_members(post.group)

    def seed_comments(self, posts: list[tuple[Post, datetime, str]]) -> None:
        """Comment on and react to the new posts; replies are one level deep."""
        comments: list[tuple[Comment, datetime]] = []
        replies: list[tuple[Comment, datetime]] = []
        reactions: list[tuple[Reaction, datetime]] = []
        tones: dict[int, str] = {}
        for post, when, tone in posts:
            readers = [p for p in self.readers(post) if p.pk != post.author_id]
            if not readers:
                continue
            if tone == "riddle":
                said, answered = self.riddle_answers(post, when, readers)
            else:
                said, answered = self.remarks(post, when, tone, readers)
            comments += said
            replies += answered
            for comment, _ in said + answered:
                tones[id(comment)] = tone
            reactions += self.reactions(
                {"post": post}, when, tone, readers, wide=post.group_id is None
            )
        self.insert(Comment, comments)
        self.insert(Comment, replies)
        for comment, when in comments + replies:
            if self.rng.random() < 0.3:
                readers = [
                    p for p in self.readers(comment.post) if p.pk != comment.author_id
                ]
                reactions += self.reactions(
                    {"comment": comment}, when, tones[id(comment)], readers, few=True
                )
        self.insert(Reaction, reactions)

    def remarks(
        self, post: Post, when: datetime, tone: str, readers: list[User]
    ) -> tuple[list[tuple[Comment, datetime]], list[tuple[Comment, datetime]]]:
        """A few comments from the pool of `tone`, some with a reply."""
        most = 5 if post.group_id is None else 3
        texts = content.COMMENTS[tone]
        count = min(self.rng.randint(0, most), len(texts))
        said, answered = [], []
        for text in self.rng.sample(texts, count):
            when = self.later(when)
            comment = self.comment(post, self.rng.choice(readers), text)
            said.append((comment, when))
            if self.rng.random() < 0.3:
                replier = (
                    post.author if self.rng.random() < 0.6 else self.rng.choice(readers)
                )
                reply = self.comment(
                    post, replier, self.rng.choice(content.REPLIES), parent=comment
                )
                answered.append((reply, self.later(when)))
        return said, answered

    def riddle_answers(
        self, post: Post, when: datetime, readers: list[User]
    ) -> tuple[list[tuple[Comment, datetime]], list[tuple[Comment, datetime]]]:
        """Wrong guesses, the right one, and the author's bravo to it."""
        answer = RIDDLE_ANSWERS[post.body]
        others = [a for _, a in content.RIDDLES if a != answer]
        guesses = [*self.rng.sample(others, self.rng.randint(0, 2)), answer]
        said = []
        for guess in guesses:
            when = self.later(when)
            text = content.RIDDLE_GUESS.format(answer=guess[:1].upper() + guess[1:])
            said.append((self.comment(post, self.rng.choice(readers), text), when))
        right = said[-1][0]
        bravo = self.comment(
            post,
            post.author,
            content.RIDDLE_RIGHT.format(answer=answer),
            parent=right,
        )
        return said, [(bravo, self.later(when))]

    def comment(
        self, post: Post, author: User, text: str, parent: Comment | None = None
    ) -> Comment:
        """A comment (a reply with `parent`), its body rendered."""
        return Comment(
            post=post,
            author=author,
            parent=parent,
            body=text,
            body_html=render_markdown(text),
        )

    def reactions(
        self,
        subject: dict[str, Post | Comment],
        when: datetime,
        tone: str,
        readers: list[User],
        wide: bool = False,
        few: bool = False,
    ) -> list[tuple[Reaction, datetime]]:
        """Reactions of some of `readers` to a post or a comment, one each."""
        most = 3 if few else 35 if wide else 12
        least = 6 if wide else 0
        count = min(self.rng.randint(min(least, most), most), len(readers))
        kinds, weights = zip(*content.REACTIONS[tone].items(), strict=True)
        return [
            (
                Reaction(
                    user=user, kind=self.rng.choices(kinds, weights)[0], **subject
                ),
                self.later(when, hours=48),
            )
            for user in self.rng.sample(readers, count)
        ]

    # --- Time -----------------------------------------------------------------

    def post_times(self, count: int) -> list[datetime]:
        """`count` moments spread over the working days of the last four weeks,
        oldest first."""
        days = [
            self.today - timedelta(days=back)
            for back in range(CONTENT_DAYS, 0, -1)
            if (self.today - timedelta(days=back)).weekday() < 5
        ]
        moments = []
        for index in range(count):
            day = days[round(index * (len(days) - 1) / max(count - 1, 1))]
            moments.append(self.at(day, self.rng.randrange(*WORKDAY)))
        return sorted(moments)

    def at(self, day: date, minute: int) -> datetime:
        """`minute` past midnight on `day`, local time."""
        clock = time(minute // 60, minute % 60)
        return datetime.combine(day, clock, tzinfo=timezone.get_current_timezone())

    def later(self, when: datetime, hours: int = 3) -> datetime:
        """A moment after `when`, within `hours` (or the next day when that falls
        at night), and before now."""
        moment = timezone.localtime(
            when + timedelta(minutes=self.rng.randint(3, hours * 60))
        )
        if not AWAKE[0] <= moment.hour < AWAKE[1]:
            day = moment.date() + timedelta(days=moment.hour >= AWAKE[1])
            moment = self.at(day, self.rng.randrange(AWAKE[0] * 60, AWAKE[1] * 60))
        return min(moment, self.now - timedelta(minutes=1))

    # --- Writing --------------------------------------------------------------

    def insert(self, model: type[models.Model], rows: list[tuple]) -> None:
        """Insert the rows at once, each created at its own moment.

        `created_at` is `auto_now_add`, which `bulk_create` overwrites with the
        present: the moments are set again, in a `bulk_update`.
        """
        objects = [row[0] for row in rows]
        model.objects.bulk_create(objects)
        for instance, moment in rows:
            instance.created_at = moment
        model.objects.bulk_update(objects, ["created_at"], batch_size=500)
        self.created[model] += len(objects)


# --- Polls and quizzes (issue 5) ---------------------------------------------------


def seed_polls(rng: random.Random) -> tuple[int, int]:
    """Add the demo polls and the quizzes of the last riddles that are missing,
    with votes; return how many polls, and posts for them, were created. Runs
    again without duplicating anything: a post keeps the poll it has."""
    with transaction.atomic():
        posts = sum(_seed_poll_post(rng, spec) for spec in content.POLL_POSTS)
        quizzes = _seed_riddle_quizzes(rng)
    return posts + quizzes, posts


def _active_members(group: Group | None) -> list[User]:
    users = User.objects.filter(is_active=True).order_by("username")
    if group is not None:
        users = users.filter(
            memberships__group=group, memberships__status=MembershipStatus.ACTIVE
        )
    return list(users)


def _group_role_holder(group: Group, role: str) -> User | None:
    membership = (
        Membership.objects.filter(
            group=group,
            status=MembershipStatus.ACTIVE,
            role=GroupRole.OWNER if role == OWNER else GroupRole.ADMIN,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _seed_poll_post(rng: random.Random, spec: content.PollPostSpec) -> int:
    group = None
    if spec.group is not None:
        group = Group.objects.filter(slug=spec.group).first()
        if group is None:
            return 0
    body = content.unwrap(spec.body)
    if Post.objects.filter(group=group, body=body).exists():
        return 0
    if spec.author in (OWNER, ADMIN):
        author = _group_role_holder(group, spec.author)
    else:
        author = User.objects.filter(username=spec.author, is_active=True).first()
    if author is None:
        return 0
    post = Post.objects.create(
        author=author, group=group, body=body, body_html=render_markdown(body)
    )
    now = timezone.now()
    closes_at = (
        None
        if spec.closes_in_days is None
        else now + timedelta(days=spec.closes_in_days)
    )
    poll = Poll.objects.create(
        post=post,
        question=spec.question,
        is_multiple_choice=spec.is_multiple_choice,
        is_anonymous=spec.is_anonymous,
        hide_results_until_closed=spec.hide_results_until_closed,
        closes_at=closes_at,
    )
    options = PollOption.objects.bulk_create(
        PollOption(poll=poll, position=n, text=text)
        for n, text in enumerate(spec.options)
    )
    voters = _active_members(group)
    for voter in rng.sample(voters, min(len(voters), rng.randint(8, 30))):
        count = rng.randint(1, 2) if spec.is_multiple_choice else 1
        _cast(poll, voter, rng.sample(options, count), now - timedelta(hours=1))
    return 1


def _cast(poll: Poll, voter: User, options: list[PollOption], when) -> None:
    """Record a vote as social.actions.polls.poll_vote would."""
    who = (
        {"voter_key": voter_key(poll.pk, voter.pk)}
        if poll.is_anonymous
        else {"user": voter}
    )
    PollBallot.objects.bulk_create(
        PollBallot(poll=poll, option=option, **who) for option in options
    )
    PollParticipation.objects.create(poll=poll, user=voter, voted_at=when)


def _seed_riddle_quizzes(rng: random.Random) -> int:
    """A quiz on each of the last riddles of "Un jour, une fleur" without one:
    closed the day after it was posted, but the latest, open until tomorrow."""
    group = Group.objects.filter(slug="un-jour-une-fleur").first()
    if group is None:
        return 0
    riddles = list(
        Post.objects.filter(group=group, body__in=RIDDLE_ANSWERS).order_by(
            "-created_at", "-pk"
        )[: content.QUIZ_DAYS]
    )
    members = _active_members(group)
    everyone = [answer for _, answer in content.RIDDLES]
    now = timezone.now()
    created = 0
    for age, post in enumerate(riddles):
        if Poll.objects.filter(post=post).exists():
            continue
        answer = RIDDLE_ANSWERS[post.body]
        others = rng.sample(
            [a for a in everyone if a != answer], content.QUIZ_OPTIONS - 1
        )
        texts = [*others, answer]
        rng.shuffle(texts)
        texts = [text[:1].upper() + text[1:] for text in texts]
        right = next(a for a in texts if a.lower() == answer.lower())
        latest = age == 0
        poll = Poll.objects.create(
            post=post,
            question=content.QUIZ_QUESTION,
            is_quiz=True,
            closes_at=now + timedelta(days=1) if latest else None,
            closed_at=None if latest else post.created_at + timedelta(days=1),
        )
        options = PollOption.objects.bulk_create(
            PollOption(poll=poll, position=n, text=text, is_correct=text == right)
            for n, text in enumerate(texts)
        )
        correct = next(option for option in options if option.is_correct)
        voters = rng.sample(members, min(len(members), rng.randint(6, 20)))
        for n, voter in enumerate(voters):
            choice = correct if rng.random() < 0.6 else rng.choice(options)
            when = min(post.created_at + timedelta(minutes=7 * (n + 1)), now)
            _cast(poll, voter, [choice], when)
        created += 1
    return created


# --- Chat (issue 7) ----------------------------------------------------------------


def seed_conversations(talk: TownTalk) -> tuple[int, int]:
    """Add the demo conversations that are missing, with their messages and read
    receipts; return how many conversations and messages were created. One whose
    people are missing is left out."""
    conversations = messages = 0
    for spec in content.CONVERSATIONS:
        created = _seed_conversation(talk, spec)
        if created:
            conversations += 1
            messages += created
    return conversations, messages


def _seed_conversation(talk: TownTalk, spec: content.ConversationSpec) -> int:
    creator = talk.person(spec.creator)
    others = [talk.person(reference) for reference in spec.others]
    if creator is None or None in others:
        return 0
    people = [creator, *others]
    if spec.title:
        kind, key = ConversationKind.GROUP, None
        if Conversation.objects.filter(created_by=creator, title=spec.title).exists():
            return 0
    else:
        kind, key = ConversationKind.DIRECT, direct_key(creator.pk, others[0].pk)
        if Conversation.objects.filter(direct_key=key).exists():
            return 0
    start = talk.at(talk.today - timedelta(days=spec.days_ago), 9 * 60)
    start = min(start, talk.now - timedelta(minutes=5 * len(spec.messages) + 5))
    times = [start + timedelta(minutes=4 * n + 1) for n in range(len(spec.messages))]
    conversation = Conversation.objects.create(
        kind=kind,
        title=spec.title,
        created_by=creator,
        updated_at=times[-1],
        last_sequence=len(spec.messages),
        direct_key=key,
    )
    Conversation.objects.filter(pk=conversation.pk).update(created_at=start)
    sent = []
    for sequence, (speaker, body) in enumerate(spec.messages, start=1):
        author = talk.person(speaker)
        sent.append(
            Message(
                conversation=conversation,
                author=author,
                sequence=sequence,
                body=body,
                body_html=render_markdown(body),
                client_id=f"demo-{conversation.pk}-{sequence}",
                client_digest=chat_digest(conversation.pk, body),
            )
        )
    Message.objects.bulk_create(sent)
    for message, when in zip(sent, times, strict=True):
        message.created_at = when
    Message.objects.bulk_update(sent, ["created_at"])
    unread = {talk.person(reference).pk for reference in spec.unread}
    receipts = []
    for person in people:
        own = [m.sequence for m in sent if m.author_id == person.pk]
        read = max(own, default=0) if person.pk in unread else len(sent)
        receipts.append(
            Participant(
                conversation=conversation,
                user=person,
                joined_at=start,
                last_read_sequence=read,
                last_read_at=times[read - 1] if read else None,
            )
        )
    Participant.objects.bulk_create(receipts)
    return len(sent)
