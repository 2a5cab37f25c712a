"""`!ping` round trip on Matrix: Haven against a bare matrix-nio echo bot.

One measuring user sends ``!ping`` in a room and times how long it takes until the
bot's reply event shows up in that user's own ``/sync``. This is done for

* Haven, started as ``python -m bot run --config FILE`` on a provisioned space
  (the user pings in the lobby), and
* a baseline: a minimal matrix-nio ``AsyncClient`` that syncs with ``sync_forever``
  and answers any ``!ping`` from someone else with an ``m.notice`` "pong" in reply
  (the user pings in a plain room shared with that bot only),

on the same real Synapse in the same run. Each bot runs in its own process; the two
are pinged alternately (ABBA order), one ping in flight at a time, with the same
sync timeout and the same measuring client. The report gives p50 and p95 in ms for
both and the ratio haven/baseline; the target is a ratio of at most 1.10 at p50 and
at p95.

Usage (from the repository root)::

    python -m bench.matrix_roundtrip [--rounds 200] [--warmup 20] [--json]

See bench/README.md for what is measured and why it is done this way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import nio
import yaml

from bench.common import BenchError, BotProcess, BotStats, child_env, environment, say, spawn
from bot.embedded.provision import provision_space
from bot.embedded.synapse import EmbeddedSynapse, RegisteredUser, find_free_port

TARGET_RATIO = 1.10
HAVEN = "haven"
BASELINE = "baseline"
BOTS = (HAVEN, BASELINE)
PING = "!ping"

# Lines the bot processes log once they serve; the benchmark waits for them.
HAVEN_READY = "matrix adapter started"
BASELINE_READY = "baseline bot ready"
# Environment of the baseline process (the token never appears on a command line).
_ENV_HOMESERVER = "BENCH_BASELINE_HOMESERVER"
_ENV_USER_ID = "BENCH_BASELINE_USER_ID"
_ENV_DEVICE_ID = "BENCH_BASELINE_DEVICE_ID"
_ENV_TOKEN = "BENCH_BASELINE_ACCESS_TOKEN"
_ENV_SYNC_TIMEOUT = "BENCH_BASELINE_SYNC_TIMEOUT_MS"

# The measuring user's sync: room messages from others in the benchmark rooms only, so
# its own `!ping` does not end a long-poll and nothing else is transferred.
_EMPTY = {"types": []}


# -- options and results ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """What to measure and how."""

    rounds: int = 200
    """Measured rounds; each round pings both bots once."""
    warmup: int = 20
    """Rounds run first and discarded (connections, caches, first-sight writes)."""
    sync_timeout_ms: int = 30_000
    """Long-poll timeout of both bots' sync loops (and of the measuring user's)."""
    pause_ms: int = 50
    """Idle time after each ping, so a bot is back in its long-poll before the next."""
    reply_timeout: float = 10.0
    """Seconds to wait for one reply before the round counts as a timeout."""
    work_dir: Path | None = None
    """Keep Synapse's and the bots' data and logs here (default: a temporary folder)."""


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Both bots' figures from one run, with the ratio against the target."""

    options: Options
    haven: BotStats
    baseline: BotStats
    environment: dict[str, Any] = field(default_factory=dict)
    target_ratio: float = TARGET_RATIO

    @property
    def ratio_p50(self) -> float:
        """Haven's p50 divided by the baseline's."""
        return self.haven.p50_ms / self.baseline.p50_ms

    @property
    def ratio_p95(self) -> float:
        """Haven's p95 divided by the baseline's."""
        return self.haven.p95_ms / self.baseline.p95_ms

    @property
    def target_met(self) -> bool:
        """True when both ratios are at most the target."""
        return self.ratio_p50 <= self.target_ratio and self.ratio_p95 <= self.target_ratio

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        options = asdict(self.options)
        options["work_dir"] = str(self.options.work_dir) if self.options.work_dir else None
        return {
            "benchmark": "matrix_roundtrip",
            "measured": "user sends !ping -> bot reply event arrives in the user's /sync",
            "options": options,
            "bots": {HAVEN: asdict(self.haven), BASELINE: asdict(self.baseline)},
            "ratio": {"p50": self.ratio_p50, "p95": self.ratio_p95},
            "target": {"max_ratio": self.target_ratio, "met": self.target_met},
            "environment": self.environment,
        }

    def format_text(self) -> str:
        """A human-readable report."""
        opts = self.options
        lines = [
            "Matrix !ping round trip: user sends !ping -> bot's reply arrives in user's sync",
            f"{opts.rounds} rounds per bot after {opts.warmup} warm-up rounds, alternating "
            f"(ABBA); sync timeout {opts.sync_timeout_ms} ms; pause {opts.pause_ms} ms",
            "",
            f"{'bot':<10}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'min ms':>9}{'max ms':>9}"
            f"{'timeouts':>10}",
        ]
        for name, stats in ((HAVEN, self.haven), (BASELINE, self.baseline)):
            lines.append(
                f"{name:<10}{stats.p50_ms:>9.1f}{stats.p95_ms:>9.1f}{stats.mean_ms:>9.1f}"
                f"{stats.min_ms:>9.1f}{stats.max_ms:>9.1f}{stats.timeouts:>10}"
            )
        verdict = "met" if self.target_met else "NOT met"
        lines += [
            "",
            f"ratio haven/baseline: p50 {self.ratio_p50:.3f}, p95 {self.ratio_p95:.3f}",
            f"target: ratio <= {self.target_ratio:.2f} at p50 and p95 -> {verdict}",
        ]
        return "\n".join(lines)


PACKAGES = ("matrix-nio", "matrix-synapse")


# -- the measuring client ----------------------------------------------------------------


def in_reply_to(event: dict[str, Any]) -> str | None:
    """The event id an event replies to, if any."""
    relates = event.get("content", {}).get("m.relates_to") or {}
    target = (relates.get("m.in_reply_to") or {}).get("event_id")
    return target if isinstance(target, str) else None


class Probe:
    """The measuring user: one long-poll sync loop over raw HTTP, and a timed `ping`.

    The same object measures both bots, so client-side costs are identical. The time
    of arrival of a reply is taken when the sync response that carries it has been
    read, before it is parsed.
    """

    def __init__(
        self,
        homeserver: str,
        user: RegisteredUser,
        rooms: Sequence[str],
        sync_timeout_ms: int,
    ) -> None:
        self.homeserver = homeserver.rstrip("/")
        self.user = user
        self.rooms = list(rooms)
        self.sync_timeout_ms = sync_timeout_ms
        self._http: aiohttp.ClientSession | None = None
        self._since: str | None = None
        self._filter_id: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiters: dict[str, asyncio.Future[tuple[float, str]]] = {}
        self._early: dict[str, tuple[float, str]] = {}

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the probe is not started")
        return self._http

    async def start(self) -> None:
        """Upload the sync filter, skip history, then sync in the background."""
        self._http = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self.user.access_token}"},
            timeout=aiohttp.ClientTimeout(total=self.sync_timeout_ms / 1000 + 30),
        )
        sync_filter = {
            "presence": _EMPTY,
            "account_data": _EMPTY,
            "room": {
                "rooms": self.rooms,
                "timeline": {
                    "types": ["m.room.message"],
                    "not_senders": [self.user.user_id],
                    "limit": 50,
                },
                "state": _EMPTY,
                "ephemeral": _EMPTY,
                "account_data": _EMPTY,
            },
        }
        path = f"/_matrix/client/v3/user/{quote(self.user.user_id, safe='')}/filter"
        self._filter_id = str((await self._request("POST", path, sync_filter))["filter_id"])
        first = await self._request("GET", "/_matrix/client/v3/sync", params=self._params(0))
        self._since = str(first["next_batch"])
        self._task = asyncio.create_task(self._loop(), name="bench-probe-sync")

    async def stop(self) -> None:
        """Stop syncing and close the connections."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.close()

    async def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self.homeserver + path
        async with self.http.request(method, url, json=body, params=params) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise BenchError(f"{method} {path}: HTTP {resp.status}: {raw[:300]!r}")
        return dict(json.loads(raw))

    def _params(self, timeout_ms: int) -> dict[str, str]:
        params = {"timeout": str(timeout_ms), "filter": str(self._filter_id)}
        if self._since is not None:
            params["since"] = self._since
        return params

    async def _loop(self) -> None:
        url = self.homeserver + "/_matrix/client/v3/sync"
        while True:
            try:
                async with self.http.get(url, params=self._params(self.sync_timeout_ms)) as resp:
                    raw = await resp.read()
                    arrived = time.perf_counter()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.1)
                continue
            if status != 200:
                await asyncio.sleep(0.1)
                continue
            data = json.loads(raw)
            self._since = data["next_batch"]
            for room_id, info in data.get("rooms", {}).get("join", {}).items():
                for event in info.get("timeline", {}).get("events", []):
                    self.on_event(room_id, event, arrived)

    def on_event(self, room_id: str, event: dict[str, Any], arrived: float) -> None:
        """One timeline event seen at `arrived`: a reply settles the ping it answers."""
        target = in_reply_to(event)
        if target is None:
            return
        found = (arrived, str(event.get("sender", "")))
        waiter = self._waiters.pop(target, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(found)
        else:
            self._early[target] = found

    async def ping(self, room_id: str, timeout: float) -> tuple[float, str] | None:
        """Send ``!ping`` in ``room_id``; (round trip in ms, replier), or None on timeout."""
        path = (
            f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
            f"{uuid.uuid4().hex}"
        )
        started = time.perf_counter()
        sent = await self._request("PUT", path, {"msgtype": "m.text", "body": PING})
        event_id = str(sent["event_id"])
        found = self._early.pop(event_id, None)
        if found is None:
            waiter: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
            self._waiters[event_id] = waiter
            try:
                found = await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                self._waiters.pop(event_id, None)
                return None
        arrived, sender = found
        return (arrived - started) * 1000, sender


# -- the baseline bot (runs in its own process) ------------------------------------------


async def serve_baseline(
    homeserver: str, user_id: str, device_id: str, access_token: str, sync_timeout_ms: int
) -> None:
    """A bare matrix-nio echo bot: reply ``m.notice`` "pong" to any ``!ping`` from others.

    Uses the same nio client configuration as Haven's adapter (no encryption, no
    stored sync tokens) and nio's own ``sync_forever`` loop, whose event callbacks
    are awaited before the next sync, as Haven's handlers are.
    """
    config = nio.AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)
    client = nio.AsyncClient(homeserver, user_id, device_id, store_path="", config=config)
    client.access_token = access_token

    async def on_text(room: nio.MatrixRoom, event: nio.RoomMessageText) -> None:
        if event.sender == client.user_id or event.body.strip() != PING:
            return
        content = {
            "msgtype": "m.notice",
            "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        await client.room_send(room.room_id, "m.room.message", content)

    try:
        first = await client.sync(timeout=0)  # skip history, as Haven does
        if not isinstance(first, nio.SyncResponse):
            raise BenchError(f"baseline initial sync failed: {first}")
        client.add_event_callback(on_text, nio.RoomMessageText)  # type: ignore[arg-type]
        print(BASELINE_READY, file=sys.stderr, flush=True)
        await client.sync_forever(timeout=sync_timeout_ms, since=first.next_batch)
    finally:
        await client.close()


def _run_baseline_from_env() -> int:
    env = os.environ
    coro = serve_baseline(
        env[_ENV_HOMESERVER],
        env[_ENV_USER_ID],
        env[_ENV_DEVICE_ID],
        env[_ENV_TOKEN],
        int(env[_ENV_SYNC_TIMEOUT]),
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


# -- setting up the homeserver side ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accounts:
    """Who and where: the two bots, the measuring user and the rooms they share."""

    homeserver: str
    haven_bot: RegisteredUser
    baseline_bot: RegisteredUser
    user: RegisteredUser
    space_id: str
    rooms: dict[str, str]
    lobby: str
    baseline_room: str


@contextlib.asynccontextmanager
async def _nio_client(homeserver: str, account: RegisteredUser) -> AsyncIterator[nio.AsyncClient]:
    client = nio.AsyncClient(homeserver, account.user_id, account.device_id)
    client.access_token = account.access_token
    try:
        yield client
    finally:
        await client.close()


def _check(response: Any, expected: type, what: str) -> Any:
    if not isinstance(response, expected):
        raise BenchError(f"{what} failed: {response}")
    return response


async def prepare_accounts(server: EmbeddedSynapse) -> Accounts:
    """Register fresh accounts, provision a Haven space and a plain room for the baseline.

    The measuring user joins Haven's space and lobby and the baseline's room. Both
    rooms hold the same members apart from the bot: the user (joined) and a
    coordinator (invited).
    """
    tag = uuid.uuid4().hex[:8]

    async def register(role: str, name: str) -> RegisteredUser:
        return await server.aregister(
            f"bench-{role}-{tag}", secrets.token_hex(16), displayname=name
        )

    haven_bot = await register("haven", "Haven")
    baseline_bot = await register("baseline", "Baseline")
    coordinator = await register("coordinator", "Coordinator")
    user = await register("user", "Bench user")
    homeserver = server.base_url
    layout = await provision_space(
        homeserver,
        haven_bot.access_token,
        haven_bot.user_id,
        coordinator.user_id,
        space_name="Haven bench",
    )
    lobby = layout.rooms["lobby"]
    async with _nio_client(homeserver, haven_bot) as client:
        for room in (layout.space_id, lobby):
            _check(await client.room_invite(room, user.user_id), nio.RoomInviteResponse, "invite")
    async with _nio_client(homeserver, baseline_bot) as client:
        created = _check(
            await client.room_create(
                name="Baseline bench", invite=[user.user_id, coordinator.user_id]
            ),
            nio.RoomCreateResponse,
            "create the baseline room",
        )
        baseline_room = created.room_id
    async with _nio_client(homeserver, user) as client:
        for room in (layout.space_id, lobby, baseline_room):
            _check(await client.join(room), nio.JoinResponse, f"join {room}")
    return Accounts(
        homeserver=homeserver,
        haven_bot=haven_bot,
        baseline_bot=baseline_bot,
        user=user,
        space_id=layout.space_id,
        rooms=dict(layout.rooms),
        lobby=lobby,
        baseline_room=baseline_room,
    )


# -- the bot processes -------------------------------------------------------------------


def haven_config(accounts: Accounts, data_dir: Path, sync_timeout_ms: int) -> dict[str, Any]:
    """The settings file Haven runs with (no secrets: the token is in the environment)."""
    return {
        "instance_name": "Haven bench",
        "data_dir": str(data_dir),
        "database": {"path": str(data_dir / "haven.db")},
        "matrix": {
            "enabled": True,
            "homeserver": accounts.homeserver,
            "user_id": accounts.haven_bot.user_id,
            "space_id": accounts.space_id,
            "rooms": accounts.rooms,
            "sync_timeout_ms": sync_timeout_ms,
        },
    }


async def start_haven(accounts: Accounts, work: Path, sync_timeout_ms: int) -> BotProcess:
    """Launch ``python -m bot run --config FILE`` for the provisioned space."""
    # One folder per bot account: a reused --work-dir must not hand a new account the
    # since-token stored for an earlier one.
    localpart = accounts.haven_bot.user_id.split(":", 1)[0].lstrip("@")
    data_dir = work / localpart
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "haven.yaml"
    config_path.write_text(
        yaml.safe_dump(haven_config(accounts, data_dir, sync_timeout_ms), sort_keys=False),
        encoding="utf-8",
    )
    env = child_env({"HAVEN_MATRIX_ACCESS_TOKEN": accounts.haven_bot.access_token})
    argv = [sys.executable, "-m", "bot", "run", "--config", str(config_path)]
    return await spawn(HAVEN, argv, env, work / "haven.log")


async def start_baseline(accounts: Accounts, work: Path, sync_timeout_ms: int) -> BotProcess:
    """Launch the bare nio echo bot (``--serve-baseline``) in its own process."""
    account = accounts.baseline_bot
    env = child_env(
        {
            _ENV_HOMESERVER: accounts.homeserver,
            _ENV_USER_ID: account.user_id,
            _ENV_DEVICE_ID: account.device_id,
            _ENV_TOKEN: account.access_token,
            _ENV_SYNC_TIMEOUT: str(sync_timeout_ms),
        }
    )
    argv = [sys.executable, "-m", "bench.matrix_roundtrip", "--serve-baseline"]
    return await spawn(BASELINE, argv, env, work / "baseline.log")


# -- the benchmark -----------------------------------------------------------------------


async def _first_reply(probe: Probe, room: str, bot: BotProcess, timeout: float = 60.0) -> None:
    """Ping until the bot answers once (its sync loop is live)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await probe.ping(room, 5.0) is not None:
            return
        if bot.process.returncode is not None:
            break
    raise BenchError(f"{bot.name} never answered {PING}\n{bot.log_tail()}")


async def measure(
    probe: Probe, targets: dict[str, tuple[str, str]], options: Options, quiet: bool = True
) -> dict[str, tuple[list[float], int]]:
    """Ping the bots alternately (ABBA) and collect round trips after the warm-up.

    ``targets`` maps a bot name to (room id, the bot's user id). Returns, per bot, the
    measured round trips in ms and the number of timeouts.
    """
    names = list(targets)
    samples: dict[str, list[float]] = {name: [] for name in names}
    timeouts = dict.fromkeys(names, 0)
    total = options.warmup + options.rounds
    pause = options.pause_ms / 1000
    for index in range(total):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            room, bot_user = targets[name]
            result = await probe.ping(room, options.reply_timeout)
            if index >= options.warmup:
                if result is None:
                    timeouts[name] += 1
                else:
                    elapsed, sender = result
                    if sender != bot_user:
                        raise BenchError(f"unexpected reply from {sender} in {name}'s room")
                    samples[name].append(elapsed)
            if pause:
                await asyncio.sleep(pause)
        done = index + 1
        if done % 50 == 0 or done == total:
            say(f"  {done}/{total} rounds", quiet)
    return {name: (samples[name], timeouts[name]) for name in names}


async def run_benchmark(
    options: Options, server: EmbeddedSynapse | None = None, *, quiet: bool = True
) -> BenchResult:
    """Run the whole benchmark and return its figures.

    With ``server`` the benchmark uses that running Synapse (registering fresh
    accounts on it); otherwise it starts its own in ``options.work_dir`` or a
    temporary folder and stops it at the end.
    """
    if options.rounds < 1 or options.warmup < 0:
        raise ValueError("rounds must be >= 1 and warmup >= 0")
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
        probe: Probe | None = None
        try:
            say("registering accounts and provisioning the space ...", quiet)
            accounts = await prepare_accounts(server)
            probe = Probe(
                accounts.homeserver,
                accounts.user,
                [accounts.lobby, accounts.baseline_room],
                options.sync_timeout_ms,
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
            say(f"measuring: {options.warmup} warm-up + {options.rounds} rounds ...", quiet)
            targets = {
                HAVEN: (accounts.lobby, accounts.haven_bot.user_id),
                BASELINE: (accounts.baseline_room, accounts.baseline_bot.user_id),
            }
            collected = await measure(probe, targets, options, quiet)
        finally:
            for bot in bots:
                await bot.stop()
            if probe is not None:
                await probe.stop()
            if own_server:
                await server.astop()
    return BenchResult(
        options=options,
        haven=BotStats.from_samples(*collected[HAVEN]),
        baseline=BotStats.from_samples(*collected[BASELINE]),
        environment=environment(PACKAGES),
    )


# -- command line ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.matrix_roundtrip",
        description="Time a !ping round trip on Matrix for Haven and a bare matrix-nio bot.",
    )
    defaults = Options()
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=defaults.warmup, help="discarded rounds")
    parser.add_argument(
        "--sync-timeout-ms",
        type=int,
        default=defaults.sync_timeout_ms,
        help="long-poll timeout of both bots and of the measuring user",
    )
    parser.add_argument(
        "--pause-ms", type=int, default=defaults.pause_ms, help="idle time after each ping"
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


async def amain(argv: Sequence[str] | None = None, server: EmbeddedSynapse | None = None) -> int:
    """Parse ``argv``, run the benchmark and print the report (or JSON) to stdout."""
    args = build_parser().parse_args(argv)
    options = Options(
        rounds=args.rounds,
        warmup=args.warmup,
        sync_timeout_ms=args.sync_timeout_ms,
        pause_ms=args.pause_ms,
        reply_timeout=args.reply_timeout,
        work_dir=args.work_dir,
    )
    result = await run_benchmark(options, server, quiet=args.json)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.format_text())
    return 1 if args.check and not result.target_met else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m bench.matrix_roundtrip``."""
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
