"""The audit trail (data class: audit): who did what to which object, and when.

Entries form a hash chain. Each stores `prev_hash` (the hash of the entry before it, or
`GENESIS`) and `hash = SHA-256(prev_hash || canonical(seq, at, actor, action, object,
detail))`, and sequence numbers are consecutive. Appends run in one write transaction
(the database's lock and `BEGIN IMMEDIATE`), so two concurrent `record` calls never fork
the chain. The retention purge removes a *prefix* of the chain and, in the same
transaction, stores an anchor (the seq and hash of the last removed entry) and appends an
`audit.purge` entry naming that anchor, so the rest still verifies and a forged anchor
shows. Rows written before the chain existed are chained at first use (`ensure_chained`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from hashlib import sha256 as _sha256
from json.encoder import encode_basestring_ascii as _quote  # type: ignore[attr-defined]
from typing import Any

from bot.storage.database import Database, Transaction
from bot.storage.timestamps import from_text, to_text

GENESIS = "0" * 64
CHAIN = "audit_event"
PURGE_ACTION = "audit.purge"
_COLUMNS = "seq, at, actor, action, object, detail_json, prev_hash, hash"


def canonical_detail(detail: dict[str, Any]) -> str:
    """The one JSON text of a detail mapping: sorted keys, no spaces, ASCII only."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, obj: str, detail_json: str
) -> str:
    """SHA-256 (hex) of `prev_hash` followed by the canonical JSON array of the entry.

    `at` is the stored timestamp text and `detail_json` the stored canonical detail, so a
    verifier needs nothing but the row.
    """
    payload = (
        f"{prev_hash}[{seq},{_quote(at)},{_quote(actor)},{_quote(action)},{_quote(obj)},"
        f"{detail_json}]"
    )
    return _sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit entry."""

    seq: int
    at: datetime
    actor: str
    action: str
    object: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Anchor:
    """The last entry removed by the retention purge: the chain resumes after it."""

    seq: int
    hash: str


class Breach(StrEnum):
    """How the chain is broken at the first bad entry."""

    EDITED = "edited"  # the entry's content (or hash) no longer matches
    DELETED = "deleted"  # entries are missing (a gap, or a link to an entry that is gone)
    REORDERED = "reordered"  # an intact entry sits at another position


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of walking the chain.

    `ok` with `count` entries from `first` to `last` (head hash `head`), or the first
    broken entry `seq` and how (`breach`); `original` is where a moved entry belongs.
    """

    count: int
    first: int | None = None
    last: int | None = None
    head: str | None = None
    seq: int | None = None
    breach: Breach | None = None
    original: int | None = None

    @property
    def ok(self) -> bool:
        """True when no breach was found."""
        return self.breach is None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters for reading the audit (all optional); newest first."""

    actor: str | None = None
    object: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = 20


@dataclass(slots=True)
class _Walk:
    """The walker's state: constant size, whatever the chain's length."""

    expected_seq: int | None
    count: int = 0
    first: int | None = None
    last_purge: tuple[int, str] | None = field(default=None)


class AuditRepository:
    """Append-only, hash-chained: entries are only ever added, and removed by the purge."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._chained = False

    # -- writing -------------------------------------------------------------------------

    async def record(
        self, at: datetime, actor: str, action: str, obj: str, /, **detail: Any
    ) -> int:
        """Append one entry (`actor` is a pseudonymous person id or `system`); its seq."""
        async with self.db.transaction() as tx:
            if not self._chained:
                await self._chain_unchained(tx)
            seq = await self._append(tx, to_text(at), actor, action, obj, detail)
        self._chained = True
        return seq

    async def ensure_chained(self) -> int:
        """Chain entries written before the chain existed; returns how many were chained."""
        if self._chained:
            return 0
        async with self.db.transaction() as tx:
            chained = await self._chain_unchained(tx)
        self._chained = True
        return chained

    async def _head(self, tx: Transaction) -> tuple[int, str]:
        """(seq, hash) the next entry follows: the newest entry, else the anchor, else 0."""
        rows = await tx.fetch(
            "SELECT seq, hash FROM audit_event WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1"
        )
        if rows:
            return rows[0]["seq"], rows[0]["hash"]
        anchor = await tx.fetch("SELECT seq, hash FROM audit_anchor WHERE chain = $1", CHAIN)
        if anchor:
            return anchor[0]["seq"], anchor[0]["hash"]
        return 0, GENESIS

    async def _append(
        self, tx: Transaction, at: str, actor: str, action: str, obj: str, detail: dict[str, Any]
    ) -> int:
        last_seq, prev = await self._head(tx)
        seq = last_seq + 1
        detail_json = canonical_detail(detail)
        await tx.execute(
            "INSERT INTO audit_event (seq, at, actor, action, object, detail_json, prev_hash, "
            "hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            seq,
            at,
            actor,
            action,
            obj,
            detail_json,
            prev,
            entry_hash(prev, seq, at, actor, action, obj, detail_json),
        )
        return seq

    async def _chain_unchained(self, tx: Transaction, page: int = 2000) -> int:
        """Chain rows without a hash, oldest first, after the chained ones.

        Only rows from before the `audit_chain` migration lack a hash, and they are older
        than every chained row. Their detail is first rewritten in canonical form (same
        content).
        """
        chained = 0
        rows = await tx.fetch(
            "SELECT seq FROM audit_event WHERE hash IS NULL ORDER BY seq LIMIT 1"
        )
        if not rows:
            return 0
        start = rows[0]["seq"]
        before = await tx.fetch(
            "SELECT seq, hash FROM audit_event WHERE seq < $1 AND hash IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1",
            start,
        )
        prev = before[0]["hash"] if before else GENESIS
        after = start - 1
        while True:
            batch = await tx.fetch(
                f"SELECT {_COLUMNS} FROM audit_event WHERE seq > $1 AND hash IS NULL "
                "ORDER BY seq LIMIT $2",
                after,
                page,
            )
            if not batch:
                return chained
            for r in batch:
                detail_json = canonical_detail(json.loads(r["detail_json"]))
                digest = entry_hash(
                    prev, r["seq"], r["at"], r["actor"], r["action"], r["object"], detail_json
                )
                await tx.execute(
                    "UPDATE audit_event SET detail_json = $1, prev_hash = $2, hash = $3 "
                    "WHERE seq = $4",
                    detail_json,
                    prev,
                    digest,
                    r["seq"],
                )
                prev, after = digest, r["seq"]
                chained += 1

    # -- the retention purge -------------------------------------------------------------

    async def purge_before(self, cutoff: datetime, now: datetime, batch: int = 20_000) -> int:
        """Remove the oldest entries, up to the first one at or after `cutoff`.

        Only a prefix of the chain goes (an older entry after a newer one stays until
        everything before it may go), in transactions of at most `batch` entries so the
        bot is never locked out for long. Each transaction also moves the anchor and
        appends an `audit.purge` entry naming it. Returns how many entries went.
        """
        await self.ensure_chained()
        # Entries appended meanwhile come after this one, so it is found once.
        keep_from = await self.db.fetchval(
            "SELECT seq FROM audit_event WHERE at >= $1 ORDER BY seq LIMIT 1", to_text(cutoff)
        )
        removed = 0
        while True:
            async with self.db.transaction() as tx:
                first = await tx.fetchval("SELECT MIN(seq) FROM audit_event")
                if first is None or (keep_from is not None and keep_from <= first):
                    return removed
                last = first + batch - 1
                if keep_from is not None:
                    last = min(last, keep_from - 1)
                rows = await tx.fetch(
                    "SELECT seq, hash FROM audit_event WHERE seq <= $1 ORDER BY seq DESC LIMIT 1",
                    last,
                )
                anchor_seq, anchor_hash = rows[0]["seq"], rows[0]["hash"]
                count = await tx.execute("DELETE FROM audit_event WHERE seq <= $1", anchor_seq)
                await tx.execute(
                    "INSERT INTO audit_anchor (chain, seq, hash, purged_at) "
                    "VALUES ($1, $2, $3, $4) ON CONFLICT (chain) DO UPDATE SET "
                    "seq = excluded.seq, hash = excluded.hash, purged_at = excluded.purged_at",
                    CHAIN,
                    anchor_seq,
                    anchor_hash,
                    to_text(now),
                )
                detail = {"up_to": anchor_seq, "hash": anchor_hash, "removed": count}
                await self._append(tx, to_text(now), "system", PURGE_ACTION, "audit", detail)
                if keep_from is None:
                    keep_from = await tx.fetchval("SELECT MAX(seq) FROM audit_event")
            removed += count
            await asyncio.sleep(0)  # let waiting commands in between batches

    async def anchor(self) -> Anchor | None:
        """Where the chain resumes after the purge, if anything was purged."""
        row = await self.db.fetchrow("SELECT seq, hash FROM audit_anchor WHERE chain = $1", CHAIN)
        return None if row is None else Anchor(row["seq"], row["hash"])

    # -- reading -------------------------------------------------------------------------

    async def for_object(self, obj: str) -> list[AuditEvent]:
        """Every entry about one object, oldest first."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM audit_event WHERE object = $1 ORDER BY seq", obj
        )
        return [_event(r) for r in rows]

    async def query(self, q: AuditQuery) -> tuple[list[AuditEvent], bool]:
        """Entries matching `q`, newest first, and whether older matching ones remain."""
        conditions, args = [], []
        for column, value in (
            ("actor = ", q.actor),
            ("object = ", q.object),
            ("at >= ", to_text(q.since) if q.since else None),
            ("at < ", to_text(q.until) if q.until else None),
            ("seq < ", q.before),
        ):
            if value is not None:
                args.append(value)
                conditions.append(f"{column}${len(args)}")
        where = " AND ".join(conditions) or "1 = 1"
        args.append(q.limit + 1)
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM audit_event WHERE {where} ORDER BY seq DESC "
            f"LIMIT ${len(args)}",
            *args,
        )
        return [_event(r) for r in rows[: q.limit]], len(rows) > q.limit

    async def _pages(self, size: int) -> AsyncIterator[list[Any]]:
        """Every row in seq order, `size` at a time; the next page is read while the
        caller works on this one."""

        async def page(after: int) -> list[Any]:
            return await self.db.fetch(
                f"SELECT {_COLUMNS} FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT $2",
                after,
                size,
            )

        pending = asyncio.ensure_future(page(-1))
        try:
            while True:
                rows = await pending
                if not rows:
                    return
                pending = asyncio.ensure_future(page(rows[-1][0]))
                yield rows
                await asyncio.sleep(0)  # hashing is CPU work: let the bot answer in between
        finally:
            if not pending.done():
                with contextlib.suppress(Exception):
                    await pending

    # -- verifying -----------------------------------------------------------------------

    async def verify(self, page: int = 5000) -> Verification:
        """Walk the whole chain in pages (constant memory) and report the first breach."""
        await self.ensure_chained()
        anchor = await self.anchor()
        walk = _Walk(expected_seq=anchor.seq + 1 if anchor else None)
        head: str | None = None
        expected_prev = anchor.hash if anchor else GENESIS
        async for rows in self._pages(page):
            for r in rows:
                seq, at, actor, action, obj, detail_json, prev_hash, digest = r
                if walk.expected_seq is None:
                    walk.expected_seq = seq  # chained before any purge: starts anywhere
                    walk.first = seq
                elif walk.first is None:
                    walk.first = seq
                if seq != walk.expected_seq:
                    if seq > walk.expected_seq:
                        return self._broken(walk, walk.expected_seq, Breach.DELETED)
                    return self._broken(walk, seq, Breach.EDITED)  # kept below the anchor
                if digest != entry_hash(prev_hash or "", seq, at, actor, action, obj, detail_json):
                    breach, original = await self._classify_content(r, anchor)
                    return self._broken(walk, seq, breach, original)
                if prev_hash != expected_prev:
                    return await self._classify_link(walk, r, anchor)
                if action == PURGE_ACTION:
                    detail = json.loads(detail_json)
                    walk.last_purge = (detail.get("up_to"), detail.get("hash"))
                head = expected_prev = digest
                walk.expected_seq = seq + 1
                walk.count += 1
        if anchor is not None and walk.last_purge != (anchor.seq, anchor.hash):
            # The anchor was moved without a recorded purge: entries went outside it.
            recorded = walk.last_purge[0] if walk.last_purge else 0
            return self._broken(walk, (recorded or 0) + 1, Breach.DELETED)
        last = walk.expected_seq - 1 if walk.count else None
        return Verification(walk.count, walk.first, last, head)

    @staticmethod
    def _broken(
        walk: _Walk, seq: int, breach: Breach, original: int | None = None
    ) -> Verification:
        return Verification(walk.count, walk.first, seq=seq, breach=breach, original=original)

    async def _links_to(self, digest: str, anchor: Anchor | None) -> list[int]:
        """Seqs whose entry has hash `digest` (0 for the genesis, the anchor's seq)."""
        if digest == GENESIS:
            return [0]
        if anchor is not None and digest == anchor.hash:
            return [anchor.seq]
        rows = await self.db.fetch("SELECT seq FROM audit_event WHERE hash = $1", digest)
        return [r["seq"] for r in rows]

    async def _classify_content(self, r: Any, anchor: Anchor | None) -> tuple[Breach, int | None]:
        """A row whose hash does not match: moved intact (reordered), else edited."""
        predecessors = await self._links_to(r["prev_hash"] or "", anchor)
        if not predecessors:
            return Breach.DELETED, None  # what it followed is gone, and it was renumbered
        successors = await self.db.fetch(
            "SELECT seq FROM audit_event WHERE prev_hash = $1", r["hash"]
        )
        candidates = {p + 1 for p in predecessors} | {s["seq"] - 1 for s in successors}
        for seq in sorted(candidates - {r["seq"]}):
            digest = entry_hash(
                r["prev_hash"], seq, r["at"], r["actor"], r["action"], r["object"],
                r["detail_json"],
            )  # fmt: skip
            if digest == r["hash"]:
                return Breach.REORDERED, seq
        return Breach.EDITED, None

    async def _classify_link(self, walk: _Walk, r: Any, anchor: Anchor | None) -> Verification:
        """An intact row that does not link to the entry before it."""
        seq = r["seq"]
        elsewhere = await self._links_to(r["prev_hash"] or "", anchor)
        if elsewhere:
            return self._broken(walk, seq, Breach.REORDERED, None)
        if walk.count == 0:
            return self._broken(walk, seq - 1, Breach.DELETED)  # entries before it are gone
        # The entry before verified on its own but is not the one this row followed: it
        # was replaced (edited, then re-hashed).
        return Verification(walk.count - 1, walk.first, seq=seq - 1, breach=Breach.EDITED)


def _event(r: Any) -> AuditEvent:
    return AuditEvent(
        r["seq"], from_text(r["at"]), r["actor"], r["action"], r["object"],
        json.loads(r["detail_json"]),
    )  # fmt: skip
