"""Kill -9 the bot during a burst of 200 reports from 20 members, then start it again.

Every report a member was thanked for is in the review queue (a stored concern with one
card in the moderator room), and none is there twice.
"""

from __future__ import annotations

import asyncio
import collections
import signal
import sqlite3
from pathlib import Path

import yaml

from bot.embedded.simulated_member import body
from tests.platform.test_matrix_crash import start_bot, write_config
from tests.support.waiting import eventually

REPORTERS = 20
EACH = 10
KILL_AFTER = 130
THANKS = "Thank you. Your report reached the moderators."


def safety_config(path: Path) -> Path:
    """The shipped safety config without per-concern rooms (200 room creations would
    measure Synapse, not Haven)."""
    shipped = Path(__file__).resolve().parents[2] / "config" / "safety.yaml"
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["concern_rooms"] = False
    data["homeserver_reports"] = {"enabled": False}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


async def test_kill_9_during_a_report_burst_loses_no_acknowledged_report(
    matrix_space, matrix_members, tmp_path: Path, monkeypatch
):
    moderators = matrix_space.layout.rooms["moderators"]
    monkeypatch.setenv("HAVEN_SAFETY_CONFIG", str(safety_config(tmp_path / "safety.yaml")))
    config, db, log = tmp_path / "haven.yaml", tmp_path / "haven.db", tmp_path / "bot.log"
    write_config(matrix_space, db, config)
    # Nobody on duty and no coordinator: each concern costs its card, not a ping as well.
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["matrix"]["roles"] = {"power_levels": {"moderator": 50, "coordinator": 1000}}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    ben = await matrix_members("ben")
    observer = await matrix_members("observer")  # test members are in every room
    reporters = [await matrix_members(f"rep{i}") for i in range(REPORTERS)]
    # Spread over four rooms: Haven handles rooms side by side, each room's events in order.
    rooms = [
        matrix_space.layout.rooms[k] for k in ("lobby", "tournaments", "discussion", "helpdesk")
    ]
    where = {}
    targets = []
    for n in range(REPORTERS * EACH):
        room = rooms[n % len(rooms)]
        event_id = await ben.send(room, f"crashmsg-{n:03d} something rude")
        targets.append(event_id)
        where[event_id] = room
    proc = await start_bot(config, matrix_space.bot.access_token, log)
    try:

        def thanked(member) -> int:
            return sum(
                1
                for room, e in member.events
                if room not in rooms
                and e.get("sender") == matrix_space.bot.user_id
                and body(e).startswith(THANKS)
            )

        async def burst(index: int, member) -> None:
            for k in range(EACH):
                target = targets[index * EACH + k]
                relates = {"m.in_reply_to": {"event_id": target}}
                await member.send(
                    where[target], f"!report r{index}-{k}", **{"m.relates_to": relates}
                )

        await asyncio.gather(*(burst(i, m) for i, m in enumerate(reporters)))
        # Kill -9 in the middle of answering the burst.
        # (Late enough that the restart's catch-up fits in the adapter's 60 s start window
        # on a loaded 2-core machine.)
        await eventually(lambda: sum(thanked(m) for m in reporters) >= KILL_AFTER, 400)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        acknowledged_before = {m.user_id: thanked(m) for m in reporters}
        proc = await start_bot(config, matrix_space.bot.access_token, log)

        # Wait until the restarted bot has worked through what it had not claimed.
        last, stable = -1, 0
        while stable < 6:
            await asyncio.sleep(1.0)
            now = sum(thanked(m) for m in reporters)
            stable = stable + 1 if now == last else 0
            last = now
        await asyncio.sleep(1.0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    reports = rows(
        db,
        "SELECT p.person_id, i.platform_user_id, r.reason, c.message_id, c.concern_id "
        "FROM concern_report r JOIN concern c ON c.concern_id = r.concern_id "
        "JOIN identity i ON i.person_id = r.reporter_person_id JOIN person p "
        "ON p.person_id = i.person_id",
    )
    per_reporter = collections.Counter(user for _, user, *_ in reports)
    for member in reporters:
        # Thanks are only sent after the report is committed: never more thanks than rows.
        assert thanked(member) <= per_reporter[member.user_id], member.user_id
        assert acknowledged_before[member.user_id] <= per_reporter[member.user_id]
    # None twice: one report per (reporter, message), one concern per message.
    assert len({(user, message) for _, user, _, message, _ in reports}) == len(reports)
    messages = [m for (m,) in rows(db, "SELECT message_id FROM concern")]
    assert len(messages) == len(set(messages)) == len(reports)
    assert set(messages) <= set(targets)
    # In the queue: every concern has its card in the moderator room, exactly once.
    assert rows(db, "SELECT COUNT(*) FROM concern WHERE card_message_id IS NULL") == [(0,)]
    cards = collections.Counter(
        body(e).split("||")[1].split()[0]
        for room, e in observer.events
        if room == moderators and body(e).startswith("🛡️ Concern #") and "||" in body(e)
    )
    stored = {excerpt.split()[0] for (excerpt,) in rows(db, "SELECT excerpt FROM concern")}
    assert set(cards) == stored
    assert all(count == 1 for count in cards.values()), cards.most_common(3)
    total = sum(thanked(m) for m in reporters)
    assert total >= KILL_AFTER and len(reports) >= total
    assert "Traceback" not in log.read_text(encoding="utf-8")
