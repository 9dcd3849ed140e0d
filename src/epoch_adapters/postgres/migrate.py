"""Applying migrations from code: at app start, in tests and in `make migrate`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

_HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    # ConfigParser treats % as interpolation; escape it for URL-encoded parts.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade_sync(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


async def upgrade(database_url: str) -> None:
    """Alembic's env runs its own event loop, so it gets a thread of its own."""
    await asyncio.to_thread(upgrade_sync, database_url)


def main() -> None:
    """`make migrate`: bring the configured (or embedded) database up to date."""
    from epoch_adapters.postgres.database import resolve_url
    from epoch_adapters.settings import Settings

    settings = Settings.from_env()
    upgrade_sync(resolve_url(settings.database_url, settings.data_dir))
    print("migrations applied")


if __name__ == "__main__":
    main()
