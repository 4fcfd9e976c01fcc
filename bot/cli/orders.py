"""``returnbridge orders import FILE.csv`` and ``returnbridge orders sync-shopify``: orders
from a Shopify orders export or from the Shopify Admin API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.settings import get_settings

if TYPE_CHECKING:
    from adapters.shopify_orders import OrdersRead


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _summary(source: str, written: int, kept: list[str], read: OrdersRead) -> str:
    """The import's report: orders imported, kept, skipped and why, vendors without a
    supplier."""
    lines = [f"imported {written} orders from {source}"]
    if kept:
        lines.append(f"kept {len(kept)} that already have returns: {', '.join(kept)}")
    lines.extend(read.report())
    return "\n".join(lines)


def import_shopify_csv(path: Path) -> None:
    """Import a Shopify orders CSV export (one row per line item)."""
    from adapters.shopify_orders import ShopifyOrdersError, read_orders_csv, store_orders
    from bot.cli.main import _desk

    desk = _desk()
    try:
        read = read_orders_csv(
            Path(path), desk.store, transit_days=get_settings().shopify_transit_days
        )
        with desk.session() as session:
            done = store_orders(session, read.orders, desk.store.policy.currency)
    except ShopifyOrdersError as error:
        _fail(str(error))
    finally:
        desk.close()
    typer.echo(_summary(str(path), done.written, done.kept, read))


def orders_sync_shopify(
    days: Annotated[int, typer.Option(min=1, help="Orders created in the last DAYS days.")] = 30,
) -> None:
    """Pull recent orders from the Shopify Admin API (SHOPIFY_SHOP, SHOPIFY_ACCESS_TOKEN)."""
    from adapters.shopify_orders import ShopifyOrdersError, store_orders
    from bot.cli.main import _desk
    from bot.composition import ServiceSettingsError, shopify_orders_from_settings
    from tools.service_errors import ServiceError

    settings = get_settings()
    try:
        source = shopify_orders_from_settings(settings)
    except (ServiceSettingsError, ValueError) as error:
        _fail(str(error))
    desk = _desk()
    try:
        since = desk.clock.now() - dt.timedelta(days=days)
        read = source.recent(desk.store, since=since, transit_days=settings.shopify_transit_days)
        with desk.session() as session:
            done = store_orders(session, read.orders, desk.store.policy.currency)
    except (ShopifyOrdersError, ServiceError) as error:
        _fail(str(error), 1)
    finally:
        source.close()
        desk.close()
    typer.echo(_summary("Shopify", done.written, done.kept, read))
