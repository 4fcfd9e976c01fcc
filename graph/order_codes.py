"""The desk's side of one-time codes (``tools.one_time_codes``): each call in its own
transaction, with the client address of the web request counted by the throttle."""

from __future__ import annotations

from graph.desk import ReturnsDesk
from tools import guess_throttle, one_time_codes
from tools.one_time_codes import OrderListing


def ask_for_code(desk: ReturnsDesk, contact: str) -> str:
    """Send a code to the address if it has orders; the same sentence either way."""
    with desk.session() as session:
        return one_time_codes.send_code(
            session, desk.clock.now(), contact, guess_throttle.current_client.get()
        )


def orders_by_code(desk: ReturnsDesk, contact: str, code: str) -> list[OrderListing]:
    """The orders the code opens; ``CodeRefused`` (after the try is saved) when it does not."""
    with desk.session() as session:
        outcome = one_time_codes.check_code(
            session, desk.clock.now(), contact, code, guess_throttle.current_client.get()
        )
    if isinstance(outcome, one_time_codes.CodeRefused):
        raise outcome
    return outcome
