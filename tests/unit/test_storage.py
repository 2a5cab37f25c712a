"""Storage on real SQLite files: migrations, version refusal, people, confirmations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.ports import PendingConfirmation
from bot.storage.confirmation_repository import ConfirmationRepository
from bot.storage.database import Database, to_sqlite
from bot.storage.migrations import (
    DatabaseTooNewError,
    Migration,
    current_version,
    load_migrations,
    migrate,
)
from bot.storage.people_repository import PeopleRepository
from bot.storage.platform_state_repository import PlatformStateRepository


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(tmp_path / "haven.db")
    await database.open()
    await migrate(database)
    yield database
    await database.close()


def test_placeholders_are_translated_for_sqlite() -> None:
    assert to_sqlite("SELECT $1, $2, $10") == "SELECT ?1, ?2, ?10"


async def test_wal_and_version(db: Database) -> None:
    assert (await db.fetchval("PRAGMA journal_mode")).lower() == "wal"
    assert await current_version(db) == load_migrations()[-1].version


async def test_migrating_twice_changes_nothing(db: Database) -> None:
    before = await db.fetchval("SELECT COUNT(*) FROM schema_version")
    await migrate(db)
    assert await db.fetchval("SELECT COUNT(*) FROM schema_version") == before


async def test_a_newer_database_is_refused(db: Database) -> None:
    await db.execute("INSERT INTO schema_version (version) VALUES (999)")
    with pytest.raises(DatabaseTooNewError):
        await migrate(db)


async def test_a_failing_migration_is_rolled_back(tmp_path: Path) -> None:
    database = Database(tmp_path / "x.db")
    await database.open()
    broken = [
        Migration(1, "ok", "CREATE TABLE a (x INTEGER);"),
        Migration(2, "broken", "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);"),
    ]
    with pytest.raises(Exception, match="nowhere"):
        await migrate(database, broken)
    assert await current_version(database) == 1
    tables = {r[0] for r in await database.fetch("SELECT name FROM sqlite_master")}
    assert "a" in tables and "b" not in tables
    await database.close()


async def test_people_are_pseudonymous_and_stable(db: Database) -> None:
    people = PeopleRepository(db)
    first = await people.ensure_person("matrix", "@alice:haven.local")
    again = await people.ensure_person("matrix", "@alice:haven.local")
    other = await people.ensure_person("discord", "1234")
    assert first == again and first.person_id != other.person_id
    assert "alice" not in first.person_id
    await people.set_language(first.person_id, "fr")
    assert (await people.ensure_person("matrix", "@alice:haven.local")).language == "fr"
    assert await people.identities(first.person_id) == [("matrix", "@alice:haven.local")]


async def test_confirmations_are_taken_once(db: Database) -> None:
    people = PeopleRepository(db)
    person = await people.ensure_person("matrix", "@bob:haven.local")
    repo = ConfirmationRepository(db)
    pending = PendingConfirmation(
        "ABC123",
        person.person_id,
        "test wipe",
        {"n": 1},
        "matrix",
        "!r:haven.local",
        datetime.now(UTC) + timedelta(minutes=5),
    )
    await repo.put(pending)
    assert await repo.take("ABC123", "someone-else") is None
    assert await repo.take("ABC123", person.person_id) == pending
    assert await repo.take("ABC123", person.person_id) is None


async def test_events_are_claimed_once(db: Database) -> None:
    state = PlatformStateRepository(db, "matrix")
    assert await state.claim_event("$e1")
    assert not await state.claim_event("$e1")
    assert await state.was_processed("$e1")
    await state.set("since", "s1")
    await state.set("since", "s2")
    assert await state.get("since") == "s2"
    assert await state.forget_events_before(datetime.now(UTC) + timedelta(seconds=1)) == 1


async def test_state_items_by_prefix_escape_wildcards(db: Database) -> None:
    state = PlatformStateRepository(db, "matrix")
    await state.set("mute:@a:x", "1")
    await state.set("mute:@b:x", "2")
    await state.set("muteXother", "3")
    await state.set("m_x", "4")
    assert [k for k, _ in await state.items("mute:")] == ["mute:@a:x", "mute:@b:x"]
    assert [k for k, _ in await state.items("m_")] == ["m_x"]
    await state.delete("mute:@a:x")
    assert [k for k, _ in await state.items("mute:")] == ["mute:@b:x"]
