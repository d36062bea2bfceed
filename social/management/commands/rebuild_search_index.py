"""Rebuild the search index from the tables."""

from django.core.management.base import BaseCommand

from social import search


class Command(BaseCommand):
    help = "Rebuild the search index (posts, comments, groups, people, messages)."

    def handle(self, *args, **options) -> None:
        """Rebuild it and say how many entries it holds."""
        size = search.rebuild()
        if options["verbosity"]:
            self.stdout.write(f"Search index rebuilt: {size} entries.")
