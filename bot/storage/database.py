"""The database: aiosqlite with WAL behind a small driver-neutral interface.

SQL is written once with `$1, $2, ...` placeholders (asyncpg's native style) and
translated to `?` for SQLite, so a PostgreSQL driver can serve the same repositories.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

_PLACEHOLDER = re.compile(r"\$(\d+)")


def to_sqlite(sql: str) -> str:
    """Translate `$n` placeholders to SQLite's positional `?n`."""
    return _PLACEHOLDER.sub(r"?\1", sql)


class Database:
    """One SQLite database file; every write goes through `transaction()` or `execute`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file (creating its folder) with WAL and foreign keys on."""
        if isinstance(self.path, Path):
            # The database links platform accounts to people: owner-only rights.
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():
                self.path.touch(mode=0o600)
        self._conn = await aiosqlite.connect(str(self.path), isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=5000")

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One atomic unit of work; committed on exit, rolled back on error."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self.conn)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement atomically (SQLite autocommit); returns the affected row count."""
        async with self._lock:
            cur = await self.conn.execute(to_sqlite(sql), args)
            count = cur.rowcount
            await cur.close()
            return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[aiosqlite.Row]:
        """All rows of a query."""
        async with self._lock, self.conn.execute(to_sqlite(sql), args) as cur:
            return list(await cur.fetchall())

    async def fetchrow(self, sql: str, *args: Any) -> aiosqlite.Row | None:
        """The first row of a query, or None."""
        async with self._lock, self.conn.execute(to_sqlite(sql), args) as cur:
            return await cur.fetchone()

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]


class Transaction:
    """Statements inside one open transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns the affected row count."""
        cur = await self._conn.execute(to_sqlite(sql), args)
        count = cur.rowcount
        await cur.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement for many rows."""
        await self._conn.executemany(to_sqlite(sql), rows)

    async def executescript(self, script: str) -> None:
        """Run several statements (migrations); stays inside the open transaction."""
        for statement in split_statements(script):
            await self._conn.execute(statement)

    async def fetch(self, sql: str, *args: Any) -> list[aiosqlite.Row]:
        """All rows of a query inside the transaction."""
        async with self._conn.execute(to_sqlite(sql), args) as cur:
            return list(await cur.fetchall())

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """First column of the first row inside the transaction."""
        async with self._conn.execute(to_sqlite(sql), args) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]


def split_statements(script: str) -> list[str]:
    """Split a migration script on `;` at line ends (our migrations keep one per line end)."""
    statements, current = [], []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        if stripped.endswith(";"):
            statements.append("\n".join(current))
            current = []
    if current:
        statements.append("\n".join(current))
    return statements
