"""Restarting the bot on the same database: no event handled twice, none missed."""

from __future__ import annotations

import asyncio

from tests.support.matrix_harness import body, start_haven


async def test_restart_neither_reprocesses_nor_misses(matrix_space, matrix_members, tmp_path):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    db = tmp_path / "haven.db"

    app = await start_haven(matrix_space, db)
    before = await alice.send(lobby, "!ping")
    await alice.reply_to(lobby, before)
    await app.close()

    # Commands sent while the bot is down are answered after it comes back.
    while_down = [await alice.send(lobby, f"!help {name}") for name in ("ping", "about")]

    app = await start_haven(matrix_space, db)
    try:
        for event_id in while_down:
            await alice.reply_to(lobby, event_id)
        after = await alice.send(lobby, "!ping")
        await alice.reply_to(lobby, after)
        await asyncio.sleep(0.5)
        assert len(alice.replies_to(before)) == 1
        for event_id in (*while_down, after):
            assert len(alice.replies_to(event_id)) == 1
        assert body(alice.replies_to(while_down[0])[0]).startswith("Usage: !ping")
    finally:
        await app.close()


async def test_a_crash_mid_batch_does_not_repeat_handled_events(
    matrix_space, matrix_members, tmp_path
):
    """Even when the since-token was not saved, claimed events are not handled again."""
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    db = tmp_path / "haven.db"
    app = await start_haven(matrix_space, db)
    adapter = app.adapters[0]
    since_before = await adapter.state.get(adapter._since_key)
    handled = await alice.send(lobby, "!ping")
    await alice.reply_to(lobby, handled)
    await app.close()
    # Simulate a crash before the since-token was stored: roll it back.
    app2 = await start_haven(matrix_space, db)
    await app2.close()
    from bot.storage.database import Database
    from bot.storage.platform_state_repository import PlatformStateRepository

    raw = Database(db)
    await raw.open()
    key = f"since:{matrix_space.bot.user_id}"
    await PlatformStateRepository(raw, "matrix").set(key, since_before)
    await raw.close()

    app3 = await start_haven(matrix_space, db)
    try:
        probe = await alice.send(lobby, "!ping")
        await alice.reply_to(lobby, probe)
        await asyncio.sleep(0.3)
        assert len(alice.replies_to(handled)) == 1
    finally:
        await app3.close()


async def test_a_fresh_database_does_not_replay_old_commands(
    matrix_space, matrix_members, tmp_path
):
    """Commands typed before this install existed are history, not work to do."""
    ann = await matrix_members("ann")
    lobby = matrix_space.layout.rooms["lobby"]
    first = await start_haven(matrix_space, tmp_path / "first.db")
    old = await ann.send(lobby, "!ping")
    await ann.reply_to(lobby, old)
    await first.close()
    second = await start_haven(matrix_space, tmp_path / "second.db")
    try:
        new = await ann.send(lobby, "!ping")
        await ann.reply_to(lobby, new)  # the new install serves new commands
        await asyncio.sleep(0.5)
        assert len(ann.replies_to(old)) == 1  # answered once, by the first install only
    finally:
        await second.close()
