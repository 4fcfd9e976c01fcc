"""``returnbridge suppliers invite|confirm|list``: supplier onboarding on the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.desk import suppliers_app


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@suppliers_app.command("invite")
def suppliers_invite(
    supplier_id: Annotated[str, typer.Argument(help="The supplier's id (its agreement file).")],
) -> None:
    """Print a new onboarding link for the supplier (signed, expiring; replaces older ones)."""
    from bot.cli.main import _desk, _secret_key
    from bot.settings import get_settings
    from bot.web.onboarding import onboarding_url
    from graph.supplier_onboarding import invite_supplier
    from tools.errors import ReturnError

    secret_key = _secret_key()
    desk = _desk()
    try:
        invitation = invite_supplier(desk, supplier_id, get_settings().onboarding_link_days)
    except ReturnError as error:
        _fail(error.message, 2)
        return
    finally:
        desk.close()
    typer.echo(onboarding_url(secret_key, invitation.nonce))
    typer.echo(f"valid until {invitation.expires_at_text}", err=True)


@suppliers_app.command("confirm")
def suppliers_confirm(
    supplier_id: Annotated[str, typer.Argument(help="The supplier's id.")],
) -> None:
    """Confirm the terms the supplier submitted: writes its agreement file (the old one kept
    under suppliers/backups/) and records the acceptance in the ledger."""
    from bot.cli.main import _desk
    from bot.settings import get_settings
    from graph.supplier_onboarding import confirm_supplier
    from tools.errors import ReturnError

    desk = _desk()
    try:
        typer.echo(confirm_supplier(desk, supplier_id, get_settings().store_dir))
    except ReturnError as error:
        _fail(error.message)
    finally:
        desk.close()


@suppliers_app.command("list")
def suppliers_list() -> None:
    """Every supplier and its agreement state; those without an accepted agreement flagged."""
    from bot.cli.main import _desk
    from graph.supplier_onboarding import supplier_statuses

    desk = _desk()
    try:
        statuses = supplier_statuses(desk)
    finally:
        desk.close()
    for status in statuses:
        flag = "!" if status.flagged else " "
        typer.echo(f"{flag} {status.supplier_id:<28} {status.name:<32} {status.words}")
    flagged = sum(1 for status in statuses if status.flagged)
    typer.echo(f"{len(statuses)} suppliers, {flagged} without an accepted agreement")
