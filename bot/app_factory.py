"""Building the desk and the web app from the settings."""

from __future__ import annotations

from bot.service_adapters import carrier_from_settings, payments_from_settings
from bot.settings import Settings, pool_sizes
from graph.clock import Clock, SystemClock
from graph.desk import ReturnsDesk
from policies.loader import load_store


def desk_from_settings(settings: Settings, clock: Clock | None = None) -> ReturnsDesk:
    store = load_store(settings.store_dir)
    pool_size, max_overflow = pool_sizes(settings)
    return ReturnsDesk(
        settings.database_url,
        store,
        clock or SystemClock(),
        carrier=carrier_from_settings(settings),
        payments=payments_from_settings(settings),
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
