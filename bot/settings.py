"""Settings from ``RETURNBRIDGE_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETURNBRIDGE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/returnbridge.db"
    store_dir: Path = Path("store")
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = "change-me-in-production"
    smtp_url: str | None = None
    mail_from: str = "returns@example.com"
    worker_interval_seconds: float = 1.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
