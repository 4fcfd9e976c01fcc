"""``returnbridge``: serve, work, load the demo, import orders, read the ledger, run scenarios."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.desk import digest, inbox, reply, suppliers_app
from bot.cli.marketplace import marketplace_app
from bot.cli.onboarding import suppliers_invite  # noqa: F401  (registers its commands)
from bot.cli.orders import orders_sync_shopify
from bot.cli.products import products
from bot.cli.rules import rules_app
from bot.cli.slack import slack_cli
from bot.heap import set_aside_startup_objects
from bot.settings import chat_turns, get_settings

app = typer.Typer(
    help="ReturnBridge: the returns desk for dropshipping stores.", no_args_is_help=True
)
orders_app = typer.Typer(help="Orders.", no_args_is_help=True)
ledger_app = typer.Typer(help="The decision ledger.", no_args_is_help=True)
cases_app = typer.Typer(help="Return cases.", no_args_is_help=True)
scenario_app = typer.Typer(help="Scenario files.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")
app.add_typer(ledger_app, name="ledger")
app.add_typer(cases_app, name="cases")
app.add_typer(scenario_app, name="scenario")
app.add_typer(db_app, name="db")
app.add_typer(slack_cli, name="slack")
app.add_typer(rules_app, name="rules")
app.add_typer(suppliers_app, name="suppliers")
app.command("inbox")(inbox)
app.command("reply")(reply)
app.command("digest")(digest)
app.add_typer(marketplace_app, name="marketplace")
app.command("products")(products)
orders_app.command("sync-shopify")(orders_sync_shopify)


def _desk():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from bot.composition import ServiceSettingsError, desk_from_settings
    from policies.loader import PolicyError, describe_validation

    try:
        return desk_from_settings(get_settings())
    except ValidationError as error:  # a setting with a value it cannot take
        typer.echo(f"error: {describe_validation('settings', error)}", err=True)
        raise typer.Exit(2) from None
    except (PolicyError, ServiceSettingsError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _secret_key() -> str:
    from bot.install_secret import SecretKeyError, installation_secret

    try:
        return installation_secret(get_settings())
    except SecretKeyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    with_worker: Annotated[bool, typer.Option(help="Run the worker in this process too.")] = False,
) -> None:
    """Serve the returns page and the API."""
    import uvicorn

    from bot.slack.app import slack_outbox_from_settings
    from bot.web.app import create_app, server_loop_and_parser, tune_interpreter
    from bot.web.log_redaction import redact_access_log
    from bot.worker import run_forever

    tune_interpreter()
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    redact_access_log()
    desk = _desk()
    secret_key = _secret_key()
    stop = threading.Event()
    if with_worker:
        threading.Thread(
            target=run_forever,
            args=(desk, settings.worker_interval_seconds, stop, slack_outbox_from_settings(desk)),
            daemon=True,
            name="worker",
        ).start()
    try:
        loop, http = server_loop_and_parser(settings.web_loop, settings.web_http)
        turns = chat_turns(settings)
        logging.getLogger("returnbridge.web").info(
            "serving with %s and %s, %d request threads, %d chat turns at once",
            loop,
            http,
            settings.web_threads,
            turns,
        )
        application = create_app(desk, secret_key, threads=settings.web_threads, chat_turns=turns)
        set_aside_startup_objects()  # the app, desk and graphs: never garbage
        uvicorn.run(
            application,
            host=host or settings.host,
            port=port or settings.port,
            # The app reads forwarding headers itself, from RETURNBRIDGE_TRUSTED_PROXIES only.
            proxy_headers=False,
            loop=loop,
            http=http,
        )
    finally:
        stop.set()
        desk.close()


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run one round and exit.")] = False,
) -> None:
    """Fire due timers, deliver the outbox and finish interrupted cases."""
    from bot.slack.app import slack_outbox_from_settings
    from bot.worker import run_forever, run_once, stop_on_signals

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    desk = _desk()
    slack = slack_outbox_from_settings(desk)
    stop = threading.Event()
    try:
        if once:
            stop_on_signals(stop)
            typer.echo(json.dumps(run_once(desk, slack, stop)))
        else:
            set_aside_startup_objects()  # the desk and its graphs: never garbage
            run_forever(desk, get_settings().worker_interval_seconds, stop, slack=slack)
    finally:
        desk.close()


@app.command()
def demo(
    orders_file: Annotated[Path | None, typer.Option(help="Orders YAML to load.")] = None,
) -> None:
    """Load the demo store's orders, with dates moved so the newest order is a few days old."""
    from ledger.repository import import_orders
    from policies.loader import PolicyError, load_orders

    settings = get_settings()
    desk = _desk()
    path = orders_file or settings.store_dir / "orders.yaml"
    try:
        orders = load_orders(path, desk.store)
    except PolicyError as error:
        _fail(str(error), 2)
    newest = max(order.placed_at for order in orders)
    shift = dt.datetime.now(dt.UTC) - dt.timedelta(days=12) - newest
    for order in orders:
        order.placed_at += shift
        if order.delivered_at is not None:
            order.delivered_at += shift
    try:
        with desk.session() as session:
            count = import_orders(session, orders, desk.store.policy.currency)
    except ValueError as error:
        typer.echo(f"demo orders already in use, kept as they are ({error})")
        count = 0
    finally:
        desk.close()
    typer.echo(f"demo store ready: {count} orders from {path}, policy from {settings.store_dir}")


@orders_app.command("import")
def orders_import(path: Path) -> None:
    """Import orders: a YAML file with the ``orders:`` shape of the scenario files, or a
    Shopify orders CSV export (``.csv``)."""
    if path.suffix.lower() == ".csv":
        from bot.cli.orders import import_shopify_csv

        import_shopify_csv(path)
        return
    from ledger.repository import import_orders
    from policies.loader import PolicyError, load_orders

    desk = _desk()
    try:
        orders = load_orders(path, desk.store)
        with desk.session() as session:
            count = import_orders(session, orders, desk.store.policy.currency)
    except (PolicyError, ValueError) as error:
        _fail(str(error), 2)
    finally:
        desk.close()
    typer.echo(f"imported {count} orders")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Walk the hash chain, then check the money; name the first broken row or entry.

    Money: every journal entry balances and matches the decision row that made it, and no
    line item was given back (refunds and store credit at face value) beyond what was paid."""
    from ledger import audit, decisions

    desk = _desk()
    try:
        with desk.session() as session:
            report = decisions.verify(session)
            money = audit.verify_money(session) if report.ok else None
    finally:
        desk.close()
    if not report.ok:
        _fail(f"ledger broken at row {report.first_broken}: {report.problem}")
    assert money is not None
    if not money.ok:
        _fail(f"money broken: {money.problem}")
    typer.echo(
        f"ledger ok: {report.rows} rows verified, {money.entries} journal entries balanced "
        f"and covered by the chain, {money.line_items} line items within what was paid"
    )


@ledger_app.command("show")
def ledger_show(case: str) -> None:
    """Print a case's history."""
    from ledger import decisions

    desk = _desk()
    try:
        with desk.session() as session:
            rows = decisions.case_history(session, case.strip().upper())
            if not rows:
                _fail(f"no ledger rows for case {case}")
            for row in rows:
                data = json.loads(row.data)
                details = ", ".join(
                    f"{k}={v}" for k, v in data.items() if v not in (None, "") and k != "journal"
                )
                typer.echo(
                    f"#{row.seq:<6} {row.at:%Y-%m-%d %H:%M} {row.action:<33} {row.actor:<30} "
                    f"{details}" + (f"  ({row.reason})" if row.reason else "")
                )
    finally:
        desk.close()


@cases_app.command("list")
def cases_list(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
) -> None:
    """List cases."""
    from graph.desk import view_case
    from ledger.repository import list_cases

    desk = _desk()
    try:
        with desk.session() as session:
            for row in list_cases(session, status):
                view = view_case(session, row, desk.store.policy.currency)
                typer.echo(
                    f"{view.code}  order {view.order:<8} {view.status:<20} {view.quantity} x "
                    f"{view.item}  refunded {view.refunded} {view.currency}"
                )
    finally:
        desk.close()


@cases_app.command("export")
def cases_export(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Every case as CSV: dates, status, who it waits for, amounts."""
    from graph.exports import cases_csv

    desk = _desk()
    try:
        _write_csv(cases_csv(desk, status), output, "cases")
    finally:
        desk.close()


@ledger_app.command("journal")
def ledger_journal(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """The money journal as CSV, one row per line of each balanced entry."""
    from graph.exports import journal_csv

    desk = _desk()
    try:
        _write_csv(journal_csv(desk), output, "journal")
    finally:
        desk.close()


def _write_csv(text: str, output: Path | None, what: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"{what} written to {output}")


def _decide(target: str, verb: str, note: str) -> None:
    from graph.owner_console import answer_owner

    desk = _desk()
    try:
        typer.echo(answer_owner(desk, f"{verb} {target}, {note}" if note else f"{verb} {target}"))
    finally:
        desk.close()


@cases_app.command("approve")
def cases_approve(case_or_order: str, note: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """Approve a case waiting for the owner (case number or order number)."""
    _decide(case_or_order, "approve", note)


@cases_app.command("deny")
def cases_deny(case_or_order: str, note: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """Deny a case waiting for the owner."""
    _decide(case_or_order, "deny", note)


@cases_app.command("cancel")
def cases_cancel(case_or_order: str, note: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """Cancel a case that has not shipped yet."""
    _decide(case_or_order, "cancel", note)


@cases_app.command("refund-paid")
def cases_refund_paid(
    case_or_order: str,
    reference: Annotated[str, typer.Option(help="How it was paid (transfer, cash, ...).")] = "",
) -> None:
    """Mark a refund you paid by hand (cash on delivery, a manual payment) as paid: the
    payment is recorded and the customer told (refused if it was paid already)."""
    from tools.errors import ReturnError

    desk = _desk()
    try:
        view = desk.refund_paid_by_hand(case_or_order, reference)
        typer.echo(f"Return {view.code}: refund of {view.refunded} paid by hand; {view.status}.")
    except ReturnError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        desk.close()


@scenario_app.command("run")
def scenario_run(
    paths: list[Path],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per scenario.")] = False,
    llm: Annotated[bool, typer.Option("--llm", help="Use the LLM backend.")] = False,
) -> None:
    """Run scenario files or folders (recursively ``*.yaml``)."""
    from bot.scenarios.format import find_scenario_files
    from bot.scenarios.runner import run_scenario

    files = find_scenario_files(paths)
    passed = failed = 0
    if llm:
        from bot.scenarios.chat import use_backend
        from graph.llm import llm_enabled

        if not llm_enabled():
            _fail("--llm needs OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint)", 2)
        use_backend("llm")
    for path in files:
        result = run_scenario(path)
        if result.passed:
            passed += 1
        else:
            failed += 1
        if as_json:
            typer.echo(json.dumps(result.as_json()))
        elif result.passed:
            typer.echo(f"PASS {result.name}")
        else:
            first = " ".join(result.failures[0].split())  # one line per scenario
            typer.echo(f"FAIL {result.name}: {first}")
    # With --json, stdout holds only JSON objects (one per line); the tally goes to stderr.
    typer.echo(f"{passed} passed, {failed} failed", err=as_json)
    if failed or not files:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured database."""
    from ledger.db import make_engine, migrate

    engine = make_engine(get_settings().database_url)
    migrate(engine)
    engine.dispose()
    typer.echo("database is at the newest revision")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
