"""The composition root: the desk and the adapters the settings ask for, built in one place.

The web app, Slack, the command line and the worker get their desk from ``desk_from_settings``
(return stories build theirs on the story's own store, with local services).

``RETURNBRIDGE_CARRIER=easypost`` buys labels from EasyPost, ``RETURNBRIDGE_PAYMENTS=shopify``
refunds through Shopify; the default ``local`` keeps both here (labels rendered as PDF,
refunds recorded in the journal). A real service asked for without its credentials stops
the start with a sentence naming the missing variable.
"""

from __future__ import annotations

from adapters.easypost_carrier import EasyPostCarrier
from adapters.shippo_carrier import ShippoCarrier
from adapters.shopify_orders import ShopifyOrders
from adapters.shopify_payments import ShopifyPayments
from bot.settings import Settings, pool_sizes
from graph.clock import Clock, SystemClock
from graph.desk import ReturnsDesk
from policies.loader import load_store
from tools.accept_photo import PhotoLimits
from tools.adapters import Carrier, LocalCarrier, LocalPayments, Payments


class ServiceSettingsError(ValueError):
    """A real service is switched on without what it needs."""


def carrier_from_settings(settings: Settings) -> Carrier:
    if settings.carrier == "local":
        return LocalCarrier()
    if settings.carrier == "shippo":
        if not (settings.shippo_api_token or "").strip():
            raise ServiceSettingsError("RETURNBRIDGE_CARRIER=shippo needs SHIPPO_API_TOKEN")
        return ShippoCarrier(
            settings.shippo_api_token or "",
            base_url=settings.shippo_url,
            service=settings.shippo_service,
            parcel_weight_oz=settings.easypost_parcel_weight_oz,
        )
    if not (settings.easypost_api_key or "").strip():
        raise ServiceSettingsError("RETURNBRIDGE_CARRIER=easypost needs EASYPOST_API_KEY")
    return EasyPostCarrier(
        settings.easypost_api_key or "",
        base_url=settings.easypost_url,
        service=settings.easypost_service,
        parcel_weight_oz=settings.easypost_parcel_weight_oz,
    )


def _shopify_missing(settings: Settings, what: str) -> None:
    if not (settings.shopify_access_token or "").strip():
        raise ServiceSettingsError(f"{what} needs SHOPIFY_ACCESS_TOKEN")
    if not ((settings.shopify_shop or "").strip() or settings.shopify_url):
        raise ServiceSettingsError(f"{what} needs SHOPIFY_SHOP (e.g. my-store.myshopify.com)")


def payments_from_settings(settings: Settings) -> Payments:
    if settings.payments == "local":
        return LocalPayments()
    _shopify_missing(settings, "RETURNBRIDGE_PAYMENTS=shopify")
    return ShopifyPayments(
        settings.shopify_shop or "",
        settings.shopify_access_token or "",
        api_version=settings.shopify_api_version,
        base_url=settings.shopify_url,
        restock_location=settings.shopify_location_id,
    )


def shopify_orders_from_settings(settings: Settings) -> ShopifyOrders:
    _shopify_missing(settings, "Reading orders from Shopify")
    return ShopifyOrders(
        settings.shopify_shop or "",
        settings.shopify_access_token or "",
        api_version=settings.shopify_api_version,
        base_url=settings.shopify_url,
    )


def desk_from_settings(settings: Settings, clock: Clock | None = None) -> ReturnsDesk:
    store = load_store(settings.store_dir)
    pool_size, max_overflow = pool_sizes(settings)
    desk = ReturnsDesk(
        settings.database_url,
        store,
        clock or SystemClock(),
        carrier=carrier_from_settings(settings),
        payments=payments_from_settings(settings),
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
    desk.photo_limits = photo_limits_from_settings(settings)
    return desk


def photo_limits_from_settings(settings: Settings) -> PhotoLimits:
    return PhotoLimits(
        max_pixels=int(settings.photo_max_megapixels * 1_000_000),
        per_case=settings.photos_per_case,
        per_chat=settings.photos_per_chat,
    )
