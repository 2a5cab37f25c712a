"""Round trips on Discord: Haven against a bare discord.py bot, on the local emulator.

Two things are timed, for

* Haven, started as ``python -m bot run --config FILE`` (its Discord adapter), and
* a baseline: a minimal ``discord.Client`` with an ``app_commands.CommandTree`` that
  answers ``/ping`` with ``interaction.response.send_message`` and replies to a
  ``!ping`` message from ``on_message``,

each bot in its own process and each logged in to its own instance of the Discord
emulator (``tests/support/discord_emulator``). Both emulators run in this, the
measuring, process, with identical worlds (one guild, one channel, the same roles, one
user):

``slash``
    the emulator dispatches INTERACTION_CREATE for ``/ping`` as the user -> the bot's
    interaction callback (the response) is recorded by the emulator. Timed from the
    emulator's ``InteractionHandle.created`` to the ``InteractionReply.at`` of the
    callback (both ``time.monotonic()``, taken in this process).
``message``
    the user posts ``!ping`` -> the bot's reply message is recorded by the emulator.
    Timed between the emulator recording the two messages. Haven has no message
    command path on Discord yet (its adapter handles interactions only); its row then
    reads "n/a" and only the baseline is measured.

The bots are served in blocks of rounds that alternate in ABBA order (so drift hits
both alike), one round trip in flight at a time, with a short pause after each. The
report gives p50 and p95 in ms for both bots and the ratio haven/baseline; the
target is a ratio of at most 1.10 at p50 and at p95.

Usage (from the repository root)::

    python -m bench.discord_roundtrip [--rounds 300] [--warmup 30] [--json]

See bench/README.md for what is measured and why it is done this way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import yaml
import yarl
from discord import app_commands

from bench.common import BenchError, BotProcess, BotStats, child_env, environment, say, spawn
from bot.core.capabilities import Role
from tests.support.discord_emulator import DiscordEmulator

TARGET_RATIO = 1.10
HAVEN = "haven"
BASELINE = "baseline"
BOTS = (HAVEN, BASELINE)
SLASH = "slash"
MESSAGE = "message"
MEASURES = (SLASH, MESSAGE)
PING_COMMAND = "ping"
PING_MESSAGE = "!ping"
# Haven's English answer to /ping; the baseline answers with the same text.
PONG = "Pong! I'm listening."
HAVEN_NO_MESSAGE_PATH = "n/a (Haven has no message command path on Discord yet)"
DESCRIPTIONS = {
    SLASH: "emulator sends INTERACTION_CREATE /ping -> bot's interaction callback recorded",
    MESSAGE: "user posts !ping -> bot's reply message recorded by the emulator",
}
# Roles created in each guild (Haven maps them to its roles; the baseline ignores them).
BENCH_ROLES = (Role.YOUTH_WORKER, Role.MODERATOR, Role.COORDINATOR, Role.PARTNER)
GUILD_READY_TIMEOUT = 0.5

# Lines the bot processes log once they serve; the benchmark waits for them.
HAVEN_READY = "discord adapter started"
BASELINE_READY = "baseline bot ready"
# Environment of the baseline process (the token never appears on a command line).
_ENV_API_BASE = "BENCH_DISCORD_API_BASE"
_ENV_GATEWAY = "BENCH_DISCORD_GATEWAY_URL"
_ENV_TOKEN = "BENCH_DISCORD_TOKEN"
_ENV_GUILD_ID = "BENCH_DISCORD_GUILD_ID"

# Message types that are an answer to a posted message (DEFAULT, REPLY), not to a command.
_PLAIN_MESSAGE_TYPES = (0, 19)


# -- options and results ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """What to measure and how."""

    rounds: int = 300
    """Measured round trips per bot and measure."""
    warmup: int = 30
    """Round trips per bot and measure run first and discarded."""
    block: int = 10
    """Consecutive round trips a bot gets before the other's turn (ABBA order)."""
    pause_ms: int = 20
    """Idle time after each round trip, so the bot has finished before the next."""
    reply_timeout: float = 5.0
    """Seconds to wait for one reply before the round counts as a timeout."""
    work_dir: Path | None = None
    """Keep the bots' data and logs here (default: a temporary folder)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """One measure for both bots; ``haven`` is None when Haven has no such path."""

    measure: str
    baseline: BotStats
    haven: BotStats | None
    haven_note: str | None = None
    target_ratio: float = TARGET_RATIO

    @property
    def ratio_p50(self) -> float | None:
        """Haven's p50 divided by the baseline's (None when Haven was not measured)."""
        return None if self.haven is None else self.haven.p50_ms / self.baseline.p50_ms

    @property
    def ratio_p95(self) -> float | None:
        """Haven's p95 divided by the baseline's (None when Haven was not measured)."""
        return None if self.haven is None else self.haven.p95_ms / self.baseline.p95_ms

    @property
    def target_met(self) -> bool | None:
        """True when both ratios are at most the target (None when not comparable)."""
        if self.ratio_p50 is None or self.ratio_p95 is None:
            return None
        return self.ratio_p50 <= self.target_ratio and self.ratio_p95 <= self.target_ratio

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        ratio = None
        if self.ratio_p50 is not None:
            ratio = {"p50": self.ratio_p50, "p95": self.ratio_p95}
        return {
            "measured": DESCRIPTIONS[self.measure],
            "bots": {
                HAVEN: asdict(self.haven) if self.haven is not None else None,
                BASELINE: asdict(self.baseline),
            },
            "haven_note": self.haven_note,
            "ratio": ratio,
            "target_met": self.target_met,
        }


@dataclass(frozen=True, slots=True)
class BenchResult:
    """All measures from one run, with the verdict against the target."""

    options: Options
    comparisons: dict[str, Comparison]
    environment: dict[str, Any] = field(default_factory=dict)
    target_ratio: float = TARGET_RATIO

    @property
    def target_met(self) -> bool:
        """True when every measure Haven could be compared on meets the target."""
        verdicts = [c.target_met for c in self.comparisons.values() if c.target_met is not None]
        return bool(verdicts) and all(verdicts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        options = asdict(self.options)
        options["work_dir"] = str(self.options.work_dir) if self.options.work_dir else None
        return {
            "benchmark": "discord_roundtrip",
            "options": options,
            "measures": {name: c.to_dict() for name, c in self.comparisons.items()},
            "target": {"max_ratio": self.target_ratio, "met": self.target_met},
            "environment": self.environment,
        }

    def format_text(self) -> str:
        """A human-readable report."""
        opts = self.options
        lines = [
            "Discord round trips on the local emulator: Haven vs a bare discord.py bot",
            f"{opts.rounds} rounds per bot and measure after {opts.warmup} warm-up rounds, "
            f"in blocks of {opts.block} alternating ABBA; pause {opts.pause_ms} ms",
        ]
        header = (
            f"{'bot':<10}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'min ms':>9}{'max ms':>9}"
            f"{'timeouts':>10}"
        )
        for name, comparison in self.comparisons.items():
            lines += ["", f"[{name}] {DESCRIPTIONS[name]}", header]
            for bot, stats in ((HAVEN, comparison.haven), (BASELINE, comparison.baseline)):
                if stats is None:
                    lines.append(f"{bot:<10}{comparison.haven_note or 'n/a'}")
                    continue
                lines.append(
                    f"{bot:<10}{stats.p50_ms:>9.2f}{stats.p95_ms:>9.2f}{stats.mean_ms:>9.2f}"
                    f"{stats.min_ms:>9.2f}{stats.max_ms:>9.2f}{stats.timeouts:>10}"
                )
            if comparison.ratio_p50 is None or comparison.ratio_p95 is None:
                lines.append("ratio haven/baseline: n/a; target: not applicable")
                continue
            verdict = "met" if comparison.target_met else "NOT met"
            lines += [
                f"ratio haven/baseline: p50 {comparison.ratio_p50:.3f}, "
                f"p95 {comparison.ratio_p95:.3f}",
                f"target: ratio <= {self.target_ratio:.2f} at p50 and p95 -> {verdict}",
            ]
        overall = "met" if self.target_met else "NOT met"
        lines += ["", f"overall target (every comparable measure): {overall}"]
        return "\n".join(lines)


PACKAGES = ("discord.py", "aiohttp", "aiosqlite")


def haven_has_message_path() -> bool:
    """Whether Haven's Discord adapter answers plain messages (an ``on_message`` handler)."""
    from bot.adapters.discord.adapter import DiscordAdapter, HavenDiscordClient

    return any(hasattr(cls, "on_message") for cls in (HavenDiscordClient, DiscordAdapter))


# -- the emulators (in this process) -----------------------------------------------------


class TimedEmulator(DiscordEmulator):
    """The Discord emulator, noting when each message was recorded (``time.monotonic()``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.posted_at: dict[str, float] = {}

    def _message_posted(self, msg: dict[str, Any]) -> None:
        self.posted_at.setdefault(msg["id"], time.monotonic())
        super()._message_posted(msg)


@dataclass
class World:
    """One emulator with the guild, channel and user a bot is measured in."""

    name: str
    emu: TimedEmulator
    guild: dict[str, Any]
    channel: dict[str, Any]
    user: dict[str, Any]
    roles: dict[Role, str]


async def build_world(name: str) -> World:
    """Start an emulator and build the same world in it for either bot."""
    emu = TimedEmulator(bot_name=f"Bench{name.capitalize()}")
    await emu.start()
    guild = emu.create_guild("Haven bench")
    channel = emu.create_channel(guild, "lobby")
    roles = {role: str(emu.create_role(guild, role.value)["id"]) for role in BENCH_ROLES}
    user = emu.create_user("bench-user")
    emu.add_member(guild, user)
    return World(name, emu, guild, channel, user, roles)


# -- the baseline bot (runs in its own process) ------------------------------------------


class BaselineClient(discord.Client):
    """A bare discord.py bot: ``/ping`` and ``!ping`` both answer with :data:`PONG`.

    Same intents, allowed mentions and reply text as Haven's adapter; the command is
    synced to the one guild before the gateway connects.
    """

    def __init__(self, guild_id: int, **options: Any) -> None:
        super().__init__(**options)
        self.guild = discord.Object(guild_id)
        self.tree = app_commands.CommandTree(self)

        @self.tree.command(
            name=PING_COMMAND, description="Check that the bot answers.", guild=self.guild
        )
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(PONG)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)

    async def on_ready(self) -> None:
        print(BASELINE_READY, file=sys.stderr, flush=True)

    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user or message.content.strip() != PING_MESSAGE:
            return
        await message.reply(PONG)


async def serve_baseline(api_base: str, gateway_url: str, token: str, guild_id: int) -> None:
    """Run the baseline bot against the emulator at ``api_base`` until cancelled."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    client = BaselineClient(
        guild_id,
        intents=intents,
        guild_ready_timeout=GUILD_READY_TIMEOUT,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    async with client:
        await client.start(token, reconnect=True)


def _run_baseline_from_env() -> int:
    import logging

    # As Haven's `run` does: INFO logging, discord.py's own at WARNING.
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("discord").setLevel(logging.WARNING)
    env = os.environ
    coro = serve_baseline(
        env[_ENV_API_BASE], env[_ENV_GATEWAY], env[_ENV_TOKEN], int(env[_ENV_GUILD_ID])
    )

    async def run() -> None:
        task = asyncio.create_task(coro)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    return 0


# -- the bot processes -------------------------------------------------------------------


def haven_config(world: World, data_dir: Path) -> dict[str, Any]:
    """The settings file Haven runs with (no secrets: the token is in the environment)."""
    return {
        "instance_name": "Haven bench",
        "data_dir": str(data_dir),
        "database": {"path": str(data_dir / "haven.db")},
        "discord": {
            "enabled": True,
            "guild_ids": [int(world.guild["id"])],
            "roles": {role.value: [int(rid)] for role, rid in world.roles.items()},
            "api_base_url": world.emu.api_base,
            "gateway_url": world.emu.gateway_url,
            "guild_ready_timeout": GUILD_READY_TIMEOUT,
        },
    }


async def start_haven(world: World, work: Path) -> BotProcess:
    """Launch ``python -m bot run --config FILE`` against ``world``'s emulator."""
    data_dir = work / "haven"
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "haven.yaml"
    config_path.write_text(
        yaml.safe_dump(haven_config(world, data_dir), sort_keys=False), encoding="utf-8"
    )
    env = child_env({"HAVEN_DISCORD_TOKEN": world.emu.bot_token})
    argv = [sys.executable, "-m", "bot", "run", "--config", str(config_path)]
    return await spawn(HAVEN, argv, env, work / "haven.log")


async def start_baseline(world: World, work: Path) -> BotProcess:
    """Launch the bare discord.py bot (``--serve-baseline``) in its own process."""
    env = child_env(
        {
            _ENV_API_BASE: world.emu.api_base,
            _ENV_GATEWAY: world.emu.gateway_url,
            _ENV_TOKEN: world.emu.bot_token,
            _ENV_GUILD_ID: str(world.guild["id"]),
        }
    )
    argv = [sys.executable, "-m", "bench.discord_roundtrip", "--serve-baseline"]
    return await spawn(BASELINE, argv, env, work / "baseline.log")


# -- single round trips ------------------------------------------------------------------

RoundTrip = Callable[[World, float], Awaitable[float | None]]


async def slash_round(world: World, timeout: float) -> float | None:
    """Invoke ``/ping``; ms from dispatch to the recorded callback, or None on timeout."""
    handle = await world.emu.invoke_slash(world.user, world.channel, PING_COMMAND)
    try:
        reply = await handle.wait_response(timeout)
    except TimeoutError:
        return None
    if reply.type != 4 or not reply.content:
        raise BenchError(f"{world.name}: unexpected /ping answer {reply!r}")
    return (reply.at - handle.created) * 1000


async def message_round(world: World, timeout: float) -> float | None:
    """Post ``!ping``; ms from its recording to the bot's reply, or None on timeout."""
    emu = world.emu
    sent = await emu.send_message(world.user, world.channel, PING_MESSAGE)
    after = int(sent["id"])

    def is_answer(msg: dict[str, Any]) -> bool:
        return int(msg["id"]) > after and msg.get("type") in _PLAIN_MESSAGE_TYPES

    try:
        reply = await emu.wait_for_message(world.channel, predicate=is_answer, timeout=timeout)
    except TimeoutError:
        return None
    return (emu.posted_at[reply["id"]] - emu.posted_at[sent["id"]]) * 1000


ROUND_TRIPS: dict[str, RoundTrip] = {SLASH: slash_round, MESSAGE: message_round}


# -- the benchmark -----------------------------------------------------------------------


async def _first_answer(
    round_trip: RoundTrip, world: World, bot: BotProcess, timeout: float = 30.0
) -> None:
    """Try until the bot answers once (its command is registered and it is connected)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if bot.process.returncode is not None:
            break
        try:
            if await round_trip(world, 2.0) is not None:
                return
        except (ValueError, RuntimeError) as exc:  # not registered / not connected yet
            last = exc
            await asyncio.sleep(0.1)
    raise BenchError(f"{bot.name} never answered ({last})\n{bot.log_tail()}")


async def measure(
    round_trip: RoundTrip, worlds: dict[str, World], options: Options, quiet: bool = True
) -> dict[str, tuple[list[float], int]]:
    """Serve the bots blocks of round trips in ABBA order; collect them after warm-up.

    Returns, per bot, the measured round trips in ms and the number of timeouts.
    """
    names = list(worlds)
    samples: dict[str, list[float]] = {name: [] for name in names}
    timeouts = dict.fromkeys(names, 0)
    total = options.warmup + options.rounds
    pause = options.pause_ms / 1000
    block = max(1, options.block)
    for turn, start in enumerate(range(0, total, block)):
        order = names if turn % 2 == 0 else names[::-1]
        for name in order:
            for index in range(start, min(start + block, total)):
                result = await round_trip(worlds[name], options.reply_timeout)
                if index >= options.warmup:
                    if result is None:
                        timeouts[name] += 1
                    else:
                        samples[name].append(result)
                if pause:
                    await asyncio.sleep(pause)
        done = min(start + block, total)
        if done % 100 < block or done == total:
            say(f"  {done}/{total} rounds", quiet)
    return {name: (samples[name], timeouts[name]) for name in names}


async def run_benchmark(options: Options, *, quiet: bool = True) -> BenchResult:
    """Run the whole benchmark (emulators here, bots as child processes); return figures."""
    if options.rounds < 1 or options.warmup < 0 or options.block < 1:
        raise ValueError("rounds and block must be >= 1 and warmup >= 0")
    with contextlib.ExitStack() as stack:
        if options.work_dir is not None:
            work = options.work_dir.resolve()
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="haven-bench-")))
        worlds: dict[str, World] = {}
        bots: dict[str, BotProcess] = {}
        comparisons: dict[str, Comparison] = {}
        try:
            say("starting two Discord emulators ...", quiet)
            for name in BOTS:
                worlds[name] = await build_world(name)
            say("starting Haven and the baseline bot ...", quiet)
            bots[HAVEN] = await start_haven(worlds[HAVEN], work)
            bots[BASELINE] = await start_baseline(worlds[BASELINE], work)
            await asyncio.gather(
                bots[HAVEN].wait_ready(HAVEN_READY), bots[BASELINE].wait_ready(BASELINE_READY)
            )
            haven_messages = haven_has_message_path()
            for measure_name in MEASURES:
                round_trip = ROUND_TRIPS[measure_name]
                included = {
                    name: world
                    for name, world in worlds.items()
                    if name != HAVEN or measure_name != MESSAGE or haven_messages
                }
                for name, world in included.items():
                    await _first_answer(round_trip, world, bots[name])
                say(
                    f"measuring {measure_name} ({', '.join(included)}): "
                    f"{options.warmup} warm-up + {options.rounds} rounds ...",
                    quiet,
                )
                collected = await measure(round_trip, included, options, quiet)
                haven = BotStats.from_samples(*collected[HAVEN]) if HAVEN in collected else None
                comparisons[measure_name] = Comparison(
                    measure=measure_name,
                    baseline=BotStats.from_samples(*collected[BASELINE]),
                    haven=haven,
                    haven_note=None if haven is not None else HAVEN_NO_MESSAGE_PATH,
                )
        finally:
            for bot in bots.values():
                await bot.stop()
            for world in worlds.values():
                await world.emu.stop()
    return BenchResult(options=options, comparisons=comparisons, environment=environment(PACKAGES))


# -- command line ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.discord_roundtrip",
        description="Time /ping and !ping round trips on the Discord emulator for Haven "
        "and a bare discord.py bot.",
    )
    defaults = Options()
    parser.add_argument(
        "--rounds", type=int, default=defaults.rounds, help="measured rounds per bot"
    )
    parser.add_argument("--warmup", type=int, default=defaults.warmup, help="discarded rounds")
    parser.add_argument(
        "--block", type=int, default=defaults.block, help="round trips per bot turn (ABBA)"
    )
    parser.add_argument(
        "--pause-ms", type=int, default=defaults.pause_ms, help="idle time after each round"
    )
    parser.add_argument(
        "--reply-timeout",
        type=float,
        default=defaults.reply_timeout,
        help="seconds to wait for one reply",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="keep data and logs here (default: temp)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when the target is not met"
    )
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    return parser


async def amain(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the benchmark and print the report (or JSON) to stdout."""
    args = build_parser().parse_args(argv)
    options = Options(
        rounds=args.rounds,
        warmup=args.warmup,
        block=args.block,
        pause_ms=args.pause_ms,
        reply_timeout=args.reply_timeout,
        work_dir=args.work_dir,
    )
    result = await run_benchmark(options, quiet=args.json)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.format_text())
    return 1 if args.check and not result.target_met else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m bench.discord_roundtrip``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--serve-baseline" in args:
        return _run_baseline_from_env()
    try:
        return asyncio.run(amain(args))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
