"""Numbered SQL migrations, each applied in one transaction, with a version table.

Files are `migrations/NNNN_name.sql`. A database whose version is newer than the
highest migration this code knows is refused, so an old build never writes to it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

from bot.core.errors import HavenError
from bot.storage.database import Database

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class DatabaseTooNewError(HavenError):
    """The database was written by a newer Haven than this one."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered migration script."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """All shipped migrations, in order; numbers must be consecutive from 1."""
    found: list[Migration] = []
    folder = resources.files("bot.storage") / "migrations"
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise HavenError(f"migration numbers are not consecutive at {migration.version}")
    return found


async def current_version(db: Database) -> int:
    """The schema version recorded in the database (0 when empty)."""
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT "
        "NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    return int(await db.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version") or 0)


async def migrate(db: Database, migrations: list[Migration] | None = None) -> int:
    """Apply pending migrations; returns the resulting version."""
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    version = await current_version(db)
    if version > latest:
        raise DatabaseTooNewError(
            f"database schema version {version} is newer than this Haven ({latest}); "
            "upgrade Haven or restore a matching backup"
        )
    for migration in migrations:
        if migration.version <= version:
            continue
        async with db.transaction() as tx:
            await tx.executescript(migration.sql)
            await tx.execute("INSERT INTO schema_version (version) VALUES ($1)", migration.version)
        log.info("applied migration %04d_%s", migration.version, migration.name)
        version = migration.version
    return version
