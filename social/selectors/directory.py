"""The directory: finding colleagues by name."""

from django.db.models import QuerySet

from social.models import User
from social.models.users import fold

QUERY_MAX_LENGTH = 200


def directory_search(queryset: QuerySet[User], query: str) -> QuerySet[User]:
    """Keep the users whose names contain every word of `query`, ignoring accents
    and case ("gregoire PET" finds "Grégoire Petit").
    """
    for word in fold(query[:QUERY_MAX_LENGTH]).split():
        queryset = queryset.filter(search_text__contains=word)
    return queryset
