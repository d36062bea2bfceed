"""Load the demo town hall; running it again adds nothing twice.

A believable French town hall: about 160 agents in ten departments on five sites,
with French names (accents included), job titles, and the contact details a real
one has: field agents (parks, technical services, police) have a work phone and no
email, office staff have an email. Everything is drawn from `random.Random(SEED)`,
so every run builds the same people; existing usernames, departments (by slug) and
sites (by name) are kept as they are.
"""

import random
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from social.models import Department, Role, Site, User
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
