"""Kill -9 the bot process mid-work, start it again on the same SQLite file."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.matrix_harness import body
from tests.support.waiting import eventually


def write_config(space, db: Path, path: Path) -> None:
    settings = space.settings(db)
    data = settings.model_dump(mode="json", exclude_defaults=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def ready_count(log: Path) -> int:
    """How many times the bot logged that it serves."""
    return log.read_text().count("matrix adapter started") if log.exists() else 0


def launch_bot(config: Path, token: str, log: Path) -> subprocess.Popen[bytes]:
    """Start `haven run` in its own process, logging to `log`."""
    env = {**os.environ, "HAVEN_MATRIX_ACCESS_TOKEN": token}
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


async def start_bot(config: Path, token: str, log: Path) -> subprocess.Popen[bytes]:
    """Start the bot and wait until its Matrix adapter serves."""
    before = ready_count(log)
    proc = launch_bot(config, token, log)
    await eventually(lambda: ready_count(log) > before, 60)
    return proc


async def test_kill_9_then_restart_loses_and_repeats_nothing(
    matrix_space, matrix_members, tmp_path: Path
):
    alice = await matrix_members("alice")
    lobby = matrix_space.layout.rooms["lobby"]
    config, db, log = tmp_path / "haven.yaml", tmp_path / "haven.db", tmp_path / "bot.log"
    write_config(matrix_space, db, config)
    proc = await start_bot(config, matrix_space.bot.access_token, log)
    try:
        first = await alice.send(lobby, "!ping")
        await alice.reply_to(lobby, first, timeout=60)
        # A burst, then kill -9 while it is being answered.
        burst = [await alice.send(lobby, f"!help {n}") for n in ("ping", "about", "help")]
        await alice.reply_to(lobby, burst[0], timeout=20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        while_down = [await alice.send(lobby, "!about"), await alice.send(lobby, "!ping")]
        proc = await start_bot(config, matrix_space.bot.access_token, log)
        for event_id in (*burst, *while_down):
            await alice.reply_to(lobby, event_id, timeout=60)
        await asyncio.sleep(1.0)
        for event_id in (first, *burst, *while_down):
            assert len(alice.replies_to(event_id)) == 1, body(alice.replies_to(event_id)[0])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in log.read_text(encoding="utf-8")
