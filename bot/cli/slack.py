"""``returnbridge slack``: the Slack app in Socket Mode, and the suppliers' inbox links."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import typer

from bot.settings import get_settings

slack_cli = typer.Typer(
    help="Suppliers in Slack: Socket Mode, and inbox links when Slack is off.",
    invoke_without_command=True,
)


@slack_cli.callback()
def slack(
    ctx: typer.Context,
    socket: Annotated[
        bool, typer.Option("--socket", help="Run the Slack app in Socket Mode (SLACK_APP_TOKEN).")
    ] = False,
    with_worker: Annotated[
        bool, typer.Option(help="Also fire timers and deliver the outbox in this process.")
    ] = True,
) -> None:
    """Run the Slack app over Socket Mode: no public URL needed."""
    if ctx.invoked_subcommand is not None:
        return
    if not socket:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    from bot.composition import desk_from_settings
    from bot.slack.app import slack_from_settings
    from bot.worker import run_forever

    settings = get_settings()
    if not settings.slack_app_token:
        typer.echo("error: Socket Mode needs SLACK_APP_TOKEN (an xapp- token).", err=True)
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    desk = desk_from_settings(settings)
    supplier_slack = slack_from_settings(desk, settings)
    if supplier_slack is None:
        desk.close()
        typer.echo("error: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    if with_worker:
        threading.Thread(
            target=run_forever,
            args=(desk, settings.worker_interval_seconds, stop, supplier_slack.outbox),
            daemon=True,
            name="worker",
        ).start()
    try:
        supplier_slack.socket_mode(settings.slack_app_token).start()
    finally:
        stop.set()
        desk.close()


@slack_cli.command("links")
def links() -> None:
    """Print each supplier's private inbox link (signed, expiring)."""
    from bot.install_secret import SecretKeyError, installation_secret
    from bot.web.supplier import InboxLinks
    from policies.loader import PolicyError, load_store

    settings = get_settings()
    try:
        store = load_store(settings.store_dir)
    except PolicyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        signer = InboxLinks(installation_secret(settings), settings.supplier_link_days)
    except SecretKeyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    for supplier_id, agreement in store.suppliers.items():
        typer.echo(
            f"{supplier_id:<24} {agreement.name}: {signer.url(settings.base_url, supplier_id)}"
        )
    typer.echo(f"(links expire after {settings.supplier_link_days} days)")
