from django.apps import AppConfig


class SocialConfig(AppConfig):
    """The domain: people, groups, posts, chat, and the rules over them."""

    name = "social"
    verbose_name = "Parvis"
