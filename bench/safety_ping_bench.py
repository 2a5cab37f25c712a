"""Message-to-moderator-ping latency on Matrix, beside a bare round trip on the same server.

The measuring user writes a message the detector flags (severity high) in Haven's
screened lobby and times how long it takes until Haven's escalation ping ("… needs a
reviewer") for it shows up in the moderator room, in the user's own ``/sync``. Between
the two, Haven stores the concern, arms its deadline, posts the card, opens the concern's
own room and pings. The baseline is the bare matrix-nio echo bot of
``bench.matrix_roundtrip`` answering ``!ping`` in a plain room, on the same Synapse in
the same run, pinged alternately (ABBA), one message in flight at a time.

Haven runs in its own process (``--serve-haven``). The detector is the lexicon detector
when it is installed; otherwise a keyword detector stands in (the figure measures the
pipeline, not the scanning). Nobody is on a rota here, so the ping goes to the
coordinator, as it would on a night with nobody on duty.

Usage (from the repository root)::

    python -m bench.safety_ping_bench [--rounds 30] [--warmup 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nio
import yaml

from bench.common import BenchError, BotProcess, BotStats, child_env, environment, say, spawn
from bench.matrix_roundtrip import (
    BASELINE_READY,
    HAVEN_READY,
    Accounts,
    Probe,
    _check,
    _first_reply,
    _nio_client,
    haven_config,
    prepare_accounts,
    start_baseline,
)
from bot.core.detection import Category, Detection, Severity
from bot.embedded.synapse import EmbeddedSynapse, find_free_port

PING_TEXT = "needs a reviewer"
FLAG_WORD = "benchthreat"
FLAGGED = f"{FLAG_WORD} I will bomb the school tomorrow"
_ENV_CONFIG = "BENCH_SAFETY_CONFIG"


class KeywordDetector:
    """Stands in for the lexicon detector when it is not installed: flags `FLAG_WORD`."""

    def scan(self, text: str) -> Detection:
        """High-severity violence threat when the word is there."""
        if FLAG_WORD in text:
            return Detection(0.9, {Category.VIOLENCE_THREAT: 0.9}, Severity.HIGH, (FLAG_WORD,))
        return Detection(0.0)


async def serve_haven(config: Path) -> None:
    """Run Haven from `config` with a detector (the lexicon one if installed)."""
    from bot.app import Haven
    from bot.cli import _setup_logging
    from bot.settings import Secrets, load_settings

    _setup_logging(False)
    app = Haven(load_settings(config), Secrets())
    await app.open()
    try:
        from bot.features.safety.detection import load_detector  # type: ignore[attr-defined]

        detector: Any = load_detector()
        if not detector.scan(f"{FLAGGED} 1a2b3c").flagged:
            detector = KeywordDetector()
    except ImportError:
        detector = KeywordDetector()
    app.services["safety"].detector = detector
    await app.run()


class PingProbe(Probe):
    """The measuring user, also watching the moderator room for Haven's pings."""

    def __init__(self, *args: Any, moderators: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.moderators = moderators
        self._pings: asyncio.Queue[float] = asyncio.Queue()

    def on_event(self, room_id: str, event: dict[str, Any], arrived: float) -> None:
        """Haven's pings in the moderator room are timed; everything else as usual."""
        text = str(event.get("content", {}).get("body", ""))
        if room_id == self.moderators and PING_TEXT in text:
            self._pings.put_nowait(arrived)
            return
        super().on_event(room_id, event, arrived)

    async def flag(self, room_id: str, timeout: float) -> float | None:
        """Post a flagged message; ms until its ping arrives, or None on timeout."""
        while not self._pings.empty():
            self._pings.get_nowait()
        path = (
            f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
            f"{uuid.uuid4().hex}"
        )
        body = {"msgtype": "m.text", "body": f"{FLAGGED} {uuid.uuid4().hex[:6]}"}
        started = time.perf_counter()
        await self._request("PUT", path, body)
        try:
            arrived = await asyncio.wait_for(self._pings.get(), timeout)
        except TimeoutError:
            return None
        return (arrived - started) * 1000


@dataclass(frozen=True, slots=True)
class Options:
    """What to measure."""

    rounds: int = 30
    warmup: int = 3
    sync_timeout_ms: int = 30_000
    pause_ms: int = 200
    reply_timeout: float = 30.0
    work_dir: Path | None = None


async def start_haven(accounts: Accounts, work: Path, sync_timeout_ms: int) -> BotProcess:
    """Haven in its own process, with a detector (``--serve-haven``)."""
    localpart = accounts.haven_bot.user_id.split(":", 1)[0].lstrip("@")
    data_dir = work / localpart
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "haven.yaml"
    config_path.write_text(
        yaml.safe_dump(haven_config(accounts, data_dir, sync_timeout_ms), sort_keys=False),
        encoding="utf-8",
    )
    env = child_env(
        {
            "HAVEN_MATRIX_ACCESS_TOKEN": accounts.haven_bot.access_token,
            _ENV_CONFIG: str(config_path),
        }
    )
    argv = [sys.executable, "-m", "bench.safety_ping_bench", "--serve-haven"]
    return await spawn("haven", argv, env, work / "haven.log")


async def bench_ping(
    options: Options, server: EmbeddedSynapse | None = None, *, quiet: bool = True
) -> dict[str, Any]:
    """Run the measurement; returns both bots' figures and the ratio."""
    with contextlib.ExitStack() as stack:
        if options.work_dir is not None:
            work = options.work_dir.resolve()
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="haven-bench-")))
        own_server = server is None
        if server is None:
            server = EmbeddedSynapse(work / "synapse", port=find_free_port(), bcrypt_rounds=4)
            say(f"starting Synapse on {server.base_url} ...", quiet)
            await server.astart(timeout=120)
        bots: list[BotProcess] = []
        probe: PingProbe | None = None
        try:
            say("registering accounts and provisioning the space ...", quiet)
            accounts = await prepare_accounts(server)
            moderators = accounts.rooms["moderators"]
            async with _nio_client(accounts.homeserver, accounts.haven_bot) as client:
                _check(
                    await client.room_invite(moderators, accounts.user.user_id),
                    nio.RoomInviteResponse,
                    "invite to the moderator room",
                )
            async with _nio_client(accounts.homeserver, accounts.user) as client:
                _check(await client.join(moderators), nio.JoinResponse, "join moderators")
            probe = PingProbe(
                accounts.homeserver,
                accounts.user,
                [accounts.lobby, accounts.baseline_room, moderators],
                options.sync_timeout_ms,
                moderators=moderators,
            )
            await probe.start()
            say("starting Haven and the baseline bot ...", quiet)
            haven = await start_haven(accounts, work, options.sync_timeout_ms)
            bots.append(haven)
            baseline = await start_baseline(accounts, work, options.sync_timeout_ms)
            bots.append(baseline)
            await asyncio.gather(
                haven.wait_ready(HAVEN_READY), baseline.wait_ready(BASELINE_READY)
            )
            await _first_reply(probe, accounts.lobby, haven)
            await _first_reply(probe, accounts.baseline_room, baseline)
            samples: dict[str, list[float]] = {"haven": [], "baseline": []}
            timeouts = {"haven": 0, "baseline": 0}
            total = options.warmup + options.rounds
            say(f"measuring: {options.warmup} warm-up + {options.rounds} rounds ...", quiet)
            for index in range(total):
                order = ("haven", "baseline") if index % 2 == 0 else ("baseline", "haven")
                for name in order:
                    if name == "haven":
                        result = await probe.flag(accounts.lobby, options.reply_timeout)
                    else:
                        answer = await probe.ping(accounts.baseline_room, options.reply_timeout)
                        result = None if answer is None else answer[0]
                    if index >= options.warmup:
                        if result is None:
                            timeouts[name] += 1
                        else:
                            samples[name].append(result)
                    await asyncio.sleep(options.pause_ms / 1000)
        finally:
            for bot in bots:
                await bot.stop()
            if probe is not None:
                await probe.stop()
            if own_server:
                await server.astop()
    haven_stats = BotStats.from_samples(samples["haven"], timeouts["haven"])
    base_stats = BotStats.from_samples(samples["baseline"], timeouts["baseline"])
    return {
        "rounds": options.rounds,
        "haven_flag_to_ping": asdict(haven_stats),
        "baseline_round_trip": asdict(base_stats),
        "ratio_p50": round(haven_stats.p50_ms / base_stats.p50_ms, 2),
        "ratio_p95": round(haven_stats.p95_ms / base_stats.p95_ms, 2),
        "environment": environment(("matrix-nio", "matrix-synapse")),
    }


def format_text(result: dict[str, Any]) -> str:
    """The figures as a short report."""
    haven, base = result["haven_flag_to_ping"], result["baseline_round_trip"]
    return "\n".join(
        [
            f"flagged message -> moderator ping on Matrix, {result['rounds']} rounds:",
            f"  haven    p50 {haven['p50_ms']:8.1f} ms   p95 {haven['p95_ms']:8.1f} ms"
            f"   (timeouts {haven['timeouts']})",
            f"  baseline p50 {base['p50_ms']:8.1f} ms   p95 {base['p95_ms']:8.1f} ms"
            f"   (bare !ping round trip; timeouts {base['timeouts']})",
            f"  ratio    p50 {result['ratio_p50']:.2f}   p95 {result['ratio_p95']:.2f}",
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's argument parser."""
    parser = argparse.ArgumentParser(prog="python -m bench.safety_ping_bench")
    defaults = Options()
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve-haven", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m bench.safety_ping_bench``."""
    args = build_parser().parse_args(argv)
    if args.serve_haven:
        asyncio.run(serve_haven(Path(os.environ[_ENV_CONFIG])))
        return 0
    options = Options(rounds=args.rounds, warmup=args.warmup, work_dir=args.work_dir)
    try:
        result = asyncio.run(bench_ping(options, quiet=args.json))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else format_text(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
