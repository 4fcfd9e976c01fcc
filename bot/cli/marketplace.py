"""``returnbridge marketplace return ORDER SKU``: the owner records a return a marketplace
(Amazon, eBay, Etsy, Walmart, ...) accepted from its buyer; the desk handles the supplier."""

from __future__ import annotations

from typing import Annotated

import typer

marketplace_app = typer.Typer(help="Orders sold on marketplaces.", no_args_is_help=True)


@marketplace_app.command("return")
def marketplace_return(
    order: str,
    sku: str,
    quantity: Annotated[int, typer.Option(min=1, help="Units returned.")] = 1,
    reason: Annotated[str, typer.Option(help="damaged, defective, wrong_size, ...")] = "other",
    note: Annotated[str, typer.Option(help="The marketplace's words, the buyer's comment.")] = "",
) -> None:
    """Record a marketplace's return request: the supplier is asked within its response time."""
    from pydantic import ValidationError

    from bot.cli.main import _desk
    from policies.loader import describe_validation
    from tools.errors import ReturnError
    from tools.marketplace import MarketplaceReturn

    try:
        request = MarketplaceReturn(
            order=order, sku=sku, quantity=quantity, reason=reason, note=note
        )  # type: ignore[arg-type]
    except ValidationError as error:
        typer.echo(f"error: {describe_validation('return', error)}", err=True)
        raise typer.Exit(2) from None
    desk = _desk()
    try:
        view = desk.record_marketplace_return(request)
    except ReturnError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        desk.close()
    typer.echo(
        f"{view.code}  order {view.order}  {view.quantity} x {view.item}  "
        f"{view.status.replace('_', ' ')} (supplier {view.supplier_id})"
    )
