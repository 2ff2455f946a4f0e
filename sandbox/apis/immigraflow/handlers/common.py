"""Small pieces every ImmigraFlow handler uses: who is calling, what time it is, how to answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.apis.immigraflow.runtime import Runtime
from sandbox.engine.clock import iso_ms
from sandbox.engine.errors import not_found
from sandbox.engine.security import Principal, principal_of

PARTNER = "partner"
END_USER = "user"

Response = tuple[Any, int] | tuple[Any, int, Mapping[str, str]]


class Handlers:
    """Base of the per-tag handler groups: holds the runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def now(self, partner_id: int) -> tuple[str, float]:
        """The partner's simulated now, as the API's ISO string and as epoch seconds."""
        moment = self.rt.clock.now(partner_id)
        return iso_ms(moment), moment.timestamp()


def caller(token_info: Any) -> Principal:
    return principal_of(token_info)


def scoped_user(token_info: Any, user_id: int) -> Principal:
    """The caller, allowed on ``/v1/users/{user_id}…`` routes: the partner, or that very user.

    A bearer token of another user gets a 404, like any object it may not see.
    """
    principal = principal_of(token_info)
    if principal.scheme == END_USER and principal.subject_id != user_id:
        raise not_found("user")
    return principal


def created(body: Any, location: str) -> Response:
    return body, 201, {"Location": location}


def no_content() -> Response:
    return None, 204
