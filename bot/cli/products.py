"""``returnbridge products``: which products come back, why, and what to change on their page."""

from __future__ import annotations

from typing import Annotated

import typer


def products(
    min_customers: Annotated[
        int, typer.Option(min=1, help="Customers saying the same thing before a suggestion.")
    ] = 3,
    words: Annotated[bool, typer.Option(help="Print the customers' own words too.")] = False,
) -> None:
    """Per product: units sold, returns, return rate, reasons and suggestions."""
    from bot.cli.main import _desk
    from graph.llm import LLM, LLMConfig
    from graph.product_wording import llm_wording
    from tools.product_insights import product_insights, reason_label

    desk = _desk()
    config = LLMConfig.from_env()
    wording = llm_wording(LLM(config)) if config.enabled else None
    try:
        with desk.session() as session:
            insights = product_insights(session, min_customers=min_customers, wording=wording)
    finally:
        desk.close()
    if not insights:
        typer.echo("No products yet: import orders first.")
        return
    for insight in insights:
        reasons = ", ".join(
            f"{reason_label(reason)} {count}" for reason, count in insight.reasons.most_common()
        )
        typer.echo(
            f"{insight.sku}  {insight.name}: sold {insight.units_sold}, returned "
            f"{insight.units_returned} ({insight.return_rate})"
            + (f"; {reasons}" if reasons else "")
        )
        for theme in insight.suggestions:
            typer.echo(
                f"  suggestion ({theme.customers} customers: {theme.label}): {theme.suggestion}"
            )
        if words:
            for quote in insight.words:
                typer.echo(f'  {quote.case}: "{quote.text}"')
