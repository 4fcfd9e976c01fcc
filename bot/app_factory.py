"""Building the desk and the web app from the settings."""

from __future__ import annotations

from bot.service_adapters import carrier_from_settings, payments_from_settings
from bot.settings import Settings, pool_sizes
from graph.clock import Clock, SystemClock
from graph.desk import ReturnsDesk
from policies.loader import load_store
from tools.accept_photo import PhotoLimits


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
