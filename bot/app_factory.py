"""Building the desk and the web app from the settings."""

from __future__ import annotations

from bot.service_adapters import carrier_from_settings, payments_from_settings
from bot.settings import Settings
from graph.clock import Clock, SystemClock
from graph.desk import ReturnsDesk
from policies.loader import load_store


def desk_from_settings(settings: Settings, clock: Clock | None = None) -> ReturnsDesk:
    store = load_store(settings.store_dir)
    return ReturnsDesk(
        settings.database_url,
        store,
        clock or SystemClock(),
        carrier=carrier_from_settings(settings),
        payments=payments_from_settings(settings),
    )
