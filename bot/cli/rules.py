"""``returnbridge rules add|list|retire|test``: the owner's rules from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

rules_app = typer.Typer(help="Owner rules in plain English.", no_args_is_help=True)


def _book():  # type: ignore[no-untyped-def]
    from bot.cli.main import _desk
    from graph.rule_compiler_llm import choose_compiler
    from graph.rulebook import Rulebook

    desk = _desk()
    return desk, Rulebook(desk, choose_compiler(desk.store))


@rules_app.command("add")
def rules_add(
    text: Annotated[str, typer.Argument(help="The rule, in plain English.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Switch it on without asking.")] = False,
    replace: Annotated[
        int | None, typer.Option(help="Make it the new version of this rule number.")
    ] = None,
) -> None:
    """Compile a rule, show it with its conflicts and backtest, and switch it on after a yes."""
    from language.rules.compiler import RuleNotUnderstood

    desk, book = _book()
    try:
        try:
            draft = book.draft(text, replaces=replace)
        except RuleNotUnderstood as refusal:
            typer.echo(f"error: {refusal.message}", err=True)
            raise typer.Exit(1) from None
        typer.echo(draft.words().rsplit("\n", 1)[0])
        if yes or typer.confirm("Switch it on?", default=False):
            typer.echo(book.confirm())
        else:
            typer.echo(book.discard())
    finally:
        desk.close()


@rules_app.command("list")
def rules_list(
    every: Annotated[bool, typer.Option("--all", help="Retired versions and drafts too.")] = False,
) -> None:
    """The active rules (``--all``: every version)."""
    desk, book = _book()
    try:
        if not every:
            typer.echo(book.listing())
            return
        for rule in book.every():
            typer.echo(f"{rule.id}@{rule.version}  {rule.status:<8} {rule.canonical_text}")
    finally:
        desk.close()


@rules_app.command("retire")
def rules_retire(rule_id: Annotated[int, typer.Argument(help="The rule number.")]) -> None:
    """Switch a rule off (its history stays in the ledger)."""
    desk, book = _book()
    try:
        answer = book.retire(rule_id)
    finally:
        desk.close()
    if answer.startswith("There is no"):
        typer.echo(f"error: {answer}", err=True)
        raise typer.Exit(1)
    typer.echo(answer)


@rules_app.command("test")
def rules_test(
    text: Annotated[str, typer.Argument(help="The rule, in plain English.")],
) -> None:
    """Compile a rule and backtest it over the stored cases; nothing is saved."""
    from language.rules.compiler import RuleNotUnderstood

    desk, book = _book()
    try:
        try:
            preview = book.preview(text)
        except RuleNotUnderstood as refusal:
            typer.echo(f"error: {refusal.message}", err=True)
            raise typer.Exit(1) from None
        lines = preview.words().splitlines()[:-1]
        lines[0] = f'Would be: "{preview.rule.canonical_text}"'
        typer.echo("\n".join(lines))
    finally:
        desk.close()
