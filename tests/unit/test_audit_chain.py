"""The hash-chained audit trail on a real SQLite file: appends, tampering, purge, old rows."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.audit_repository import (
    GENESIS,
    PURGE_ACTION,
    AuditQuery,
    AuditRepository,
    Breach,
    canonical_detail,
    entry_hash,
)
from bot.storage.database import Database
from bot.storage.migrations import load_migrations, migrate

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(tmp_path / "haven.db")
    await database.open()
    await migrate(database)
    yield database
    await database.close()


@pytest.fixture
def audit(db: Database) -> AuditRepository:
    return AuditRepository(db)


async def fill(audit: AuditRepository, n: int, start: datetime = T0) -> None:
    for i in range(n):
        await audit.record(start + timedelta(minutes=i), f"p_{i:016x}", "x.do", f"o{i % 3}", n=i)


async def test_entries_link_and_verify(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    rows = await db.fetch("SELECT * FROM audit_event ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 11))
    assert rows[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
    r = rows[4]
    assert r["hash"] == entry_hash(
        r["prev_hash"], 5, r["at"], r["actor"], r["action"], r["object"], r["detail_json"]
    )
    assert r["detail_json"] == canonical_detail({"n": 4}) == '{"n":4}'
    result = await audit.verify(page=3)  # several pages
    assert result.ok and result.count == 10 and (result.first, result.last) == (1, 10)
    assert result.head == rows[-1]["hash"]
    assert [e.detail["n"] for e in await audit.for_object("o1")] == [1, 4, 7]


async def test_concurrent_records_never_fork_the_chain(audit: AuditRepository) -> None:
    seqs = await asyncio.gather(*(audit.record(T0, "system", "x", f"o{i}") for i in range(40)))
    assert sorted(seqs) == list(range(1, 41))
    assert (await audit.verify()).ok


async def test_an_edit_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    await db.execute("UPDATE audit_event SET actor = 'p_0000000000000bad' WHERE seq = 5")
    result = await audit.verify(page=4)
    assert (result.seq, result.breach, result.count) == (5, Breach.EDITED, 4)


async def test_an_edit_of_the_detail_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 6)
    await db.execute("UPDATE audit_event SET detail_json = '{\"n\":99}' WHERE seq = 6")
    result = await audit.verify()
    assert (result.seq, result.breach) == (6, Breach.EDITED)


async def test_an_edit_with_a_recomputed_hash_is_named(
    db: Database, audit: AuditRepository
) -> None:
    await fill(audit, 10)
    row = await db.fetchrow("SELECT * FROM audit_event WHERE seq = 5")
    forged = entry_hash(row["prev_hash"], 5, row["at"], "system", row["action"], row["object"],
                        row["detail_json"])  # fmt: skip
    await db.execute("UPDATE audit_event SET actor = 'system', hash = $1 WHERE seq = 5", forged)
    result = await audit.verify()
    assert (result.seq, result.breach) == (5, Breach.EDITED)


async def test_a_deletion_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    await db.execute("DELETE FROM audit_event WHERE seq = 7")
    result = await audit.verify()
    assert (result.seq, result.breach, result.count) == (7, Breach.DELETED, 6)


async def test_a_deletion_with_renumbering_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    await db.execute("DELETE FROM audit_event WHERE seq = 7")
    for seq in range(8, 11):
        await db.execute("UPDATE audit_event SET seq = $1 WHERE seq = $2", seq - 1, seq)
    result = await audit.verify()
    assert (result.seq, result.breach) == (7, Breach.DELETED)


async def test_deleting_the_oldest_entries_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 5)
    await db.execute("DELETE FROM audit_event WHERE seq <= 2")
    result = await audit.verify()
    assert (result.seq, result.breach) == (2, Breach.DELETED)


async def test_a_reorder_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    await db.execute("UPDATE audit_event SET seq = -1 WHERE seq = 5")
    await db.execute("UPDATE audit_event SET seq = 5 WHERE seq = 6")
    await db.execute("UPDATE audit_event SET seq = 6 WHERE seq = -1")
    result = await audit.verify()
    assert (result.seq, result.breach, result.original) == (5, Breach.REORDERED, 6)


async def test_a_purged_prefix_still_verifies(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    now = T0 + timedelta(days=2)
    removed = await audit.purge_before(T0 + timedelta(minutes=4), now)
    assert removed == 4
    anchor = await audit.anchor()
    assert anchor is not None and anchor.seq == 4
    [purge] = [e for e in await audit.for_object("audit") if e.action == PURGE_ACTION]
    assert purge.detail == {"up_to": 4, "hash": anchor.hash, "removed": 4}
    result = await audit.verify()
    assert result.ok and result.count == 7 and result.first == 5  # 6 left + the purge entry
    await audit.record(now, "system", "x.after", "o")
    assert (await audit.verify()).ok
    # Everything old goes, in batches of 2: the chain continues from the anchor.
    removed = await audit.purge_before(now, now + timedelta(days=1), batch=2)
    assert removed == 6 and (await audit.verify()).ok
    assert await db.fetchval("SELECT MIN(seq) FROM audit_event") > 10


async def test_purging_everything_leaves_a_verifiable_chain(audit: AuditRepository) -> None:
    await fill(audit, 3)
    await audit.purge_before(T0 + timedelta(days=1), T0 + timedelta(days=1))
    result = await audit.verify()
    assert result.ok and result.count == 1  # only the purge's own entry
    seq = await audit.record(T0 + timedelta(days=2), "system", "x", "o")
    assert seq == 5 and (await audit.verify()).ok


async def test_only_a_prefix_is_purged(db: Database, audit: AuditRepository) -> None:
    await audit.record(T0, "system", "old", "o")
    await audit.record(T0 + timedelta(days=10), "system", "new", "o")
    await audit.record(T0, "system", "old-but-late", "o")  # written late with an old time
    removed = await audit.purge_before(T0 + timedelta(days=1), T0 + timedelta(days=20))
    assert removed == 1
    assert [e.action for e in await audit.for_object("o")] == ["new", "old-but-late"]
    assert (await audit.verify()).ok


async def test_deleting_beyond_the_purge_is_named(db: Database, audit: AuditRepository) -> None:
    await fill(audit, 10)
    await audit.purge_before(T0 + timedelta(minutes=3), T0 + timedelta(days=1))
    # Remove two more and forge the anchor so the chain itself still links up.
    row = await db.fetchrow("SELECT seq, hash FROM audit_event WHERE seq = 5")
    await db.execute("DELETE FROM audit_event WHERE seq <= 5")
    await db.execute("UPDATE audit_anchor SET seq = $1, hash = $2", row["seq"], row["hash"])
    result = await audit.verify()
    assert (result.seq, result.breach) == (4, Breach.DELETED)


async def test_rows_from_before_the_chain_are_chained(tmp_path: Path) -> None:
    database = Database(tmp_path / "old.db")
    await database.open()
    migrations = load_migrations()
    chain = next(m.version for m in migrations if m.name == "audit_chain")
    await migrate(database, [m for m in migrations if m.version < chain])
    for i in range(5):  # exactly as the repository wrote them before the chain
        await database.execute(
            "INSERT INTO audit_event (at, actor, action, object, detail_json) "
            "VALUES ($1, $2, $3, $4, $5)",
            (T0 + timedelta(minutes=i)).isoformat(), "system", "old", "o",
            json.dumps({"n": i, "name": "Zoë"}, sort_keys=True, default=str),
        )  # fmt: skip
    await migrate(database)
    audit = AuditRepository(database)
    assert await audit.ensure_chained() == 5
    await audit.record(T0 + timedelta(hours=1), "system", "new", "o")
    result = await audit.verify()
    assert result.ok and result.count == 6
    assert [e.detail.get("name") for e in await audit.for_object("o")][:1] == ["Zoë"]
    await database.close()


async def test_query_filters_newest_first(audit: AuditRepository) -> None:
    await fill(audit, 10)
    events, more = await audit.query(AuditQuery(object="o0", limit=2))
    assert [e.seq for e in events] == [10, 7] and more
    events, more = await audit.query(AuditQuery(object="o0", before=7, limit=5))
    assert [e.seq for e in events] == [4, 1] and not more
    since, until = T0 + timedelta(minutes=2), T0 + timedelta(minutes=5)
    events, _ = await audit.query(AuditQuery(since=since, until=until))
    assert [e.seq for e in events] == [5, 4, 3]
    events, _ = await audit.query(AuditQuery(actor=f"p_{3:016x}"))
    assert [e.seq for e in events] == [4]
