"""`haven up` and `haven demo` as a person runs them: real processes, real Synapse."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nio

from bot.embedded.simulated_member import SimulatedMember, body

HAVEN = [sys.executable, "-m", "bot"]


def start_up(data_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [*HAVEN, "up", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Type !help in the lobby."):
            return proc, lines
    proc.kill()
    raise AssertionError("haven up did not get ready:\n" + "\n".join(lines[-40:]))


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def field(lines: list[str], name: str) -> str:
    line = next(x for x in lines if x.strip().startswith(f"{name} "))
    return line.split(":", 1)[1].strip().split()[0]


async def test_up_first_run_then_reuse(tmp_path: Path) -> None:
    data = tmp_path / "var"
    proc, lines = start_up(data)
    try:
        homeserver = field(lines, "homeserver")
        user = field(lines, "user")
        password = field(lines, "password")
        assert homeserver.startswith("http://127.0.0.1:")
        creds = data / "credentials.json"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        assert json.loads(creds.read_text())["coordinator_password"] == password
        assert "password" not in (data / "haven.yaml").read_text()
        layout = json.loads((data / "space_layout.json").read_text())
        assert set(layout["rooms"]) == {
            "lobby", "tournaments", "discussion", "helpdesk", "moderators", "partners",
        }  # fmt: skip
        # The printed credentials work in a Matrix client, and the bot answers.
        client = nio.AsyncClient(homeserver, user)
        login = await client.login(password)
        assert isinstance(login, nio.LoginResponse), login
        member = SimulatedMember(user, client.access_token, client.device_id, homeserver)
        await client.close()
        await member.start()
        try:
            lobby = layout["rooms"]["lobby"]
            await member.join(layout["space_id"])
            await member.join(lobby)
            assert body(await member.command(lobby, "!ping", timeout=20)) == (
                "Pong! I'm listening."
            )
        finally:
            await member.stop()
    finally:
        code, out = stop(proc)
    assert code == 0, out
    assert "Stopped." in out
    pid_file = data / "synapse" / "synapse.pid"
    assert not pid_file.exists() or not _alive(int(pid_file.read_text() or 0))

    # Second run: same server, same accounts, password not printed again.
    proc, lines = start_up(data)
    code, out = stop(proc)
    assert code == 0, out
    assert field(lines, "homeserver") == homeserver
    assert f"in {data / 'credentials.json'}" in "\n".join(lines)
    assert json.loads((data / "space_layout.json").read_text()) == layout


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def test_demo_prints_a_transcript_and_exits_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [*HAVEN, "demo", "--data-dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "   Alice │ !ping" in out
    assert "   Haven │ Pong! Ik luister." in out
    assert "I don't know the command “teleport”." in out
    assert "Mo's card says 'reported by a member': Cas is not named" in out
    assert "Nobody was on duty: the request waits until a youth worker comes on duty" in out
    assert "A youth worker opens a discussion room" in out
    assert "refused by the server (power levels)" in out  # before accepting the rules
    assert out.rstrip().endswith("The demo ran to the end.")
