"""The typed context every resolver receives."""

from dataclasses import dataclass, field
from typing import Any

import strawberry
from django.contrib.auth.models import AnonymousUser

from project.middleware import new_request_id
from social import access
from social.models import User


@dataclass
class Context:
    """Who is asking, over which request; built once per HTTP request or socket."""

    request: Any
    response: Any = None
    viewer: User | AnonymousUser = field(default_factory=AnonymousUser)
    request_id: str = field(default_factory=new_request_id)

    @property
    def is_signed_in(self) -> bool:
        return access.is_signed_in(self.viewer)


Info = strawberry.Info[Context, None]
