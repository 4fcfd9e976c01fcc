"""The owner's desk on the command line: ``returnbridge inbox``, ``reply``, ``digest`` and
``returnbridge suppliers credit|writeoff|scorecard|statement``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

suppliers_app = typer.Typer(help="Supplier credit and scorecards.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def inbox() -> None:
    """List what waits for the owner: handoffs, supplier questions, reviews, silences."""
    from bot.cli.main import _desk
    from graph.owner_inbox import open_inbox

    desk = _desk()
    try:
        items = open_inbox(desk)
    finally:
        desk.close()
    if not items:
        typer.echo("Nothing waits for you.")
        return
    for item in items:
        where = " ".join(
            part for part in (f"order {item.order}" if item.order else "", item.case or "") if part
        )
        who = f"{item.party} {item.party_id}".strip()
        words = " / ".join(line for line in item.words.splitlines() if line.strip())
        typer.echo(
            f"#{item.id:<4} {item.at:%Y-%m-%d %H:%M}  {item.kind:<17} {where or '-':<24} {who}"
        )
        typer.echo(f"      {words or item.summary}")
    typer.echo(f"{len(items)} open")


def reply(
    order_or_case: Annotated[
        str, typer.Argument(help="Order number, case number (RB-…) or inbox item (#N).")
    ],
    text: Annotated[str, typer.Argument(help="The answer to send.")],
    to: Annotated[
        str, typer.Option("--to", help="Who gets it: customer or supplier.")
    ] = "customer",
) -> None:
    """Answer the customer or the supplier of an order, a case or an inbox item (#N); closes
    what it answers."""
    from bot.cli.main import _desk
    from graph.owner_inbox import reply as send_reply
    from graph.owner_inbox import reply_to_item
    from tools.errors import ReturnError

    if to not in ("customer", "supplier"):
        _fail("--to is customer or supplier", 2)
    party: Literal["customer", "supplier"] = "customer" if to == "customer" else "supplier"
    item = order_or_case.strip()
    desk = _desk()
    try:
        if item.startswith("#") and item[1:].isdigit():
            # an item by its number (a chat that never said its order): its own party
            typer.echo(reply_to_item(desk, int(item[1:]), text))
        else:
            typer.echo(send_reply(desk, order_or_case, party, text))
    except ReturnError as error:
        _fail(error.message)
    finally:
        desk.close()


@suppliers_app.command("credit")
def suppliers_credit(
    supplier_id: Annotated[str, typer.Argument(help="The supplier's id.")],
    amount: Annotated[str, typer.Argument(help="Amount received, e.g. 24.00.")],
    reference: Annotated[str, typer.Option(help="The credit note or payment reference.")],
    order: Annotated[str | None, typer.Option(help="Settle this order's credit.")] = None,
    case: Annotated[str | None, typer.Option(help="Settle this case's credit.")] = None,
) -> None:
    """Record a credit note or payment; it settles the oldest open credits first."""
    from bot.cli.main import _desk
    from graph.supplier_money import record_credit
    from tools.errors import ReturnError

    desk = _desk()
    try:
        typer.echo(record_credit(desk, supplier_id, amount, reference, order=order, case_code=case))
    except ReturnError as error:
        _fail(error.message)
    finally:
        desk.close()


@suppliers_app.command("writeoff")
def suppliers_writeoff(
    supplier_id: Annotated[str, typer.Argument(help="The supplier's id.")],
    order: Annotated[str | None, typer.Option(help="Write off this order's credit.")] = None,
    case: Annotated[str | None, typer.Option(help="Write off this case's credit.")] = None,
    amount: Annotated[str | None, typer.Option(help="Only this much, oldest first.")] = None,
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Write off what a supplier still owes on an order or case (or an amount)."""
    from bot.cli.main import _desk
    from graph.supplier_money import write_off
    from tools.errors import ReturnError

    desk = _desk()
    try:
        typer.echo(
            write_off(desk, supplier_id, order=order, case_code=case, amount=amount, note=note)
        )
    except ReturnError as error:
        _fail(error.message)
    finally:
        desk.close()


@suppliers_app.command("scorecard")
def suppliers_scorecard(
    supplier_id: Annotated[str | None, typer.Argument(help="One supplier (default all).")] = None,
) -> None:
    """Units sold, return rates, decision hours and credit, per supplier."""
    from bot.cli.main import _desk
    from graph.supplier_money import supplier_scorecards
    from tools.errors import ReturnError

    desk = _desk()
    try:
        cards = supplier_scorecards(desk, supplier_id)
    except ReturnError as error:
        _fail(error.message)
        return
    finally:
        desk.close()
    for card in cards:
        figures = card.figures()
        typer.echo(f"{card.supplier_id} ({card.name}), {card.currency}")
        for key, value in figures.items():
            if key != "id":
                typer.echo(f"  {key.replace('_', ' '):<24} {value}")


@suppliers_app.command("statement")
def suppliers_statement(
    supplier_id: Annotated[str, typer.Argument(help="The supplier's id.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV (the default).")] = True,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Write the statement as a PDF to this file.")
    ] = None,
) -> None:
    """Each case of the supplier with its dates, tracking events and amounts."""
    from bot.cli.main import _desk
    from graph.supplier_money import supplier_statement, supplier_statement_pdf
    from tools.errors import ReturnError

    desk = _desk()
    try:
        if pdf is not None:
            pdf.write_bytes(supplier_statement_pdf(desk, supplier_id))
            typer.echo(f"statement written to {pdf}")
            return
        text = supplier_statement(desk, supplier_id)
    except ReturnError as error:
        _fail(error.message)
        return
    finally:
        desk.close()
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"statement written to {output}")
    else:
        sys.stdout.write(text)


def digest(
    send: Annotated[
        bool, typer.Option("--send", help="Queue it for owner_email (once per week).")
    ] = False,
    show: Annotated[bool, typer.Option("--print", help="Print it here.")] = False,
) -> None:
    """The weekly digest of the last week that ended: print it, or queue it for the owner's
    e-mail (the worker sends it; a week already queued is not queued again)."""
    from bot.cli.main import _desk
    from graph.weekly_digest import digest_text, last_full_week, queue_digest

    if not send and not show:
        _fail("Say --print to read the digest here or --send to e-mail it to the owner.")
    desk = _desk()
    try:
        week = last_full_week(desk.clock.now())
        if show:
            sys.stdout.write(digest_text(desk, week))
        if send:
            if queue_digest(desk, week):
                typer.echo(f"digest of {week.name} queued for {desk.store.policy.owner_email}")
            else:
                typer.echo(f"the digest of {week.name} was already queued; not sent again")
    finally:
        desk.close()
