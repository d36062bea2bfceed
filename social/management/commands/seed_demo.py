"""Load the demo organisation; running it again adds nothing twice."""

from django.core.management.base import BaseCommand
from django.db import transaction

from social.models import User

DEMO_PASSWORD = "parvis-demo"  # noqa: S105 - documented demo accounts
DEMO_ACCOUNTS = [
    # username, first name, last name, organisation admin
    ("admin", "Camille", "Martin", True),
    ("agathe.leroy", "Agathe", "Leroy", False),
    ("gregoire.petit", "Grégoire", "Petit", False),
]


class Command(BaseCommand):
    help = "Create the demo town hall and its accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        created = 0
        for username, first_name, last_name, is_admin in DEMO_ACCOUNTS:
            user, is_new = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            if is_new:
                user.set_password(DEMO_PASSWORD)
                user.save()
                created += 1
        self.stdout.write(f"Demo data: {created} account(s) created.")
        self.stdout.write(f"Demo accounts (password '{DEMO_PASSWORD}'):")
        for username, first_name, last_name, is_admin in DEMO_ACCOUNTS:
            role = "organisation admin" if is_admin else "agent"
            self.stdout.write(f"  {username:<16} {first_name} {last_name}, {role}")
