"""What every owner page module shares: the guard that lets only the owner in, and the
dependency giving a request this app's owner desk (``app.state.owner_desk``, an
``OwnerDesk`` of ``bot.web.owner`` that ``create_app`` builds once).

The page modules (``bot.web.owner``, ``owner_desk``, ``owner_cases``, ``owner_rules`` and the
owner half of ``onboarding``) each define one module-level router with
``prefix="/owner", dependencies=[Depends(owner_guard)]``. They see the owner desk through
the ``OwnerPages`` protocol here, so this module imports none of them and the owner desk's
page renderer can read their sections.
"""

from __future__ import annotations

import math
import secrets
from base64 import b64decode
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from bot.web.access import WebAccess, is_loopback
from graph.desk import ReturnsDesk
from graph.rulebook import Rulebook
from ledger import attempt_models
from tools.guess_throttle import blocked_for

if TYPE_CHECKING:
    from bot.web.owner_rules import RuleForm

WRONG_PASSWORDS_ALLOWED = 10


class OwnerPages(Protocol):
    """The owner desk as the page modules use it."""

    @property
    def desk(self) -> ReturnsDesk: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def password(self) -> str | None: ...

    @property
    def access(self) -> WebAccess: ...

    def check(self, request: Request, token: str) -> None:
        """Refuse a POST without this app's signed form token (``bot.web.forms``)."""

    def book(self) -> Rulebook:
        """The store's rulebook, read afresh."""

    def page(
        self,
        request: Request,
        reply: str = "",
        said: str = "",
        *,
        section: str = "inbox",
        template: str | None = None,
        extra: dict[str, Any] | None = None,
        form: RuleForm | None = None,
    ) -> HTMLResponse:
        """One back-office page: ``section``'s, or ``template`` with ``extra`` shown."""


def get_owner_pages(request: Request) -> OwnerPages:
    pages: OwnerPages = request.app.state.owner_desk
    return pages


OwnerDep = Annotated[OwnerPages, Depends(get_owner_pages)]


def _password_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2]


def owner_guard(request: Request, owner: OwnerDep) -> None:
    """A dependency that lets the owner in, and nobody else."""
    access = owner.access
    host = request.headers.get("host", "")
    if not access.host_allowed(host):
        raise HTTPException(
            status_code=400,
            detail="The owner page is not served under this host name "
            "(RETURNBRIDGE_ALLOWED_HOSTS).",
        )
    peer = request.client.host if request.client else ""
    client = access.client_address(peer, request.headers)
    if owner.password:
        _check_password(owner.desk, client, _password_from(request), owner.password)
        return
    if access.forwarded_by_stranger(peer, request.headers) or not is_loopback(client):
        raise HTTPException(
            status_code=403,
            detail=(
                "The owner page is open only on this machine. Set "
                "RETURNBRIDGE_OWNER_PASSWORD to use it from elsewhere."
            ),
        )


def _check_password(desk: ReturnsDesk, client: str, given: str | None, password: str) -> None:
    """Let the right password in; count wrong ones per address and lock the address out."""
    now = desk.clock.now()
    with desk.session() as session:
        wait = blocked_for(session, now, "owner", client, allowed=WRONG_PASSWORDS_ALLOWED)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise HTTPException(
            status_code=429,
            detail="Too many wrong owner passwords from this address; try again in about "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
            headers={"Retry-After": str(wait)},
        )
    if given is not None and secrets.compare_digest(
        given.encode("utf-8"), password.encode("utf-8")
    ):
        return
    if given is not None:  # no credentials at all is the browser asking, not a wrong guess
        with desk.session() as session:
            attempt_models.add(session, scope="owner", subject=client, source="owner", at=now)
    raise HTTPException(
        status_code=401,
        detail="The owner page needs the owner password.",
        headers={"WWW-Authenticate": 'Basic realm="ReturnBridge owner"'},
    )
