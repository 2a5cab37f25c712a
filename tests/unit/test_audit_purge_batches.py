"""Purges in batches (so the bot is never locked out for long) remove exactly what expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.features.privacy.repository import RetentionRepository
from bot.storage.database import Database
from bot.storage.migrations import migrate
from bot.storage.retention import Retained
from bot.storage.timestamps import to_text

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROCESSED = Retained("processed_event", "operational", "processed_at")


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(tmp_path / "haven.db")
    await database.open()
    await migrate(database)
    yield database
    await database.close()


async def test_batches_with_equal_times_remove_exactly_the_expired(db: Database) -> None:
    times = [T0] * 7 + [T0 + timedelta(minutes=i) for i in range(1, 12)]  # 7 share one time
    fresh = [T0 + timedelta(days=40)] * 3
    await db.executemany(
        "INSERT INTO processed_event (platform, event_id, processed_at) VALUES ($1, $2, $3)",
        [("matrix", f"$e{i}", to_text(at)) for i, at in enumerate(times + fresh)],
    )
    removed = await RetentionRepository(db).purge(PROCESSED, T0 + timedelta(days=30), batch=3)
    assert removed == len(times)
    left = await db.fetch("SELECT processed_at FROM processed_event")
    assert sorted(r["processed_at"] for r in left) == [to_text(at) for at in fresh]


async def test_only_condition_is_kept_in_every_batch(db: Database) -> None:
    rows = [(f"$e{i}", to_text(T0 + timedelta(minutes=i))) for i in range(10)]
    await db.executemany(
        "INSERT INTO processed_event (platform, event_id, processed_at) VALUES ($1, $2, $3)",
        [("discord" if i % 2 else "matrix", e, at) for i, (e, at) in enumerate(rows)],
    )
    matrix_only = Retained("processed_event", "operational", "processed_at", "platform = 'matrix'")
    removed = await RetentionRepository(db).purge(matrix_only, T0 + timedelta(days=1), batch=2)
    assert removed == 5
    assert {r["platform"] for r in await db.fetch("SELECT platform FROM processed_event")} == {
        "discord"
    }
