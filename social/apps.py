from django.apps import AppConfig


class SocialConfig(AppConfig):
    """The domain: people, groups, posts, chat, and the rules over them."""

    name = "social"
    verbose_name = "Parvis"

    def ready(self) -> None:
        # Registers the SQLite search score on every new database connection.
        from social.search import backends  # noqa: F401
