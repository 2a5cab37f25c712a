"""pytest plugin: a Discord emulator per test and a harness running discord.py clients on it.

Load with ``-p tests.support.discord_fixtures`` (or ``pytest_plugins`` in a conftest).

Fixtures
--------
``discord_emulator``
    A started :class:`~tests.support.discord_emulator.DiscordEmulator` (free port,
    heartbeat 1 s).  At teardown it is stopped and the test fails if the emulator
    crashed while handling a request, if any request hit a route the emulator does not
    know (mark the test ``discord_allow_unknown_routes`` to allow that), or if any
    recorded REST response does not validate against Discord's OpenAPI spec.
``discord_harness``
    A :class:`DiscordHarness` for that emulator: ``await discord_harness.connect(client)``
    points discord.py at the emulator, starts the client and waits for ``on_ready``.
    Handler exceptions (``on_error``, app-command tree errors, view/modal errors,
    prefix-command errors) are collected and fail the test at teardown unless cleared.
    For speed the reconnect backoff is scaled down and the 5 s pause discord.py makes
    before a re-IDENTIFY is skipped (only where the client class does not override
    ``before_identify_hook``).  Clients are closed and discord.py's globals restored
    afterwards.

At the end of the session a summary of unknown routes and spec violations over all
emulators is printed (and the run fails if there were any not already reported).
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
import discord.client
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.backoff import ExponentialBackoff
from discord.ext import commands

from tests.support.discord_emulator import DiscordEmulator, validate_calls

ClientT = TypeVar("ClientT", bound=discord.Client)

_SESSION_EMULATORS: list[DiscordEmulator] = []
_REPORTED: set[int] = set()


@dataclass
class HandlerError:
    """An exception raised inside a client's event/command/view handler."""

    where: str
    error: BaseException | None
    traceback: str


class _FastBackoff(ExponentialBackoff):
    """discord.py's reconnect backoff scaled down so reconnect tests take milliseconds."""

    scale = 0.02

    def delay(self) -> float:  # type: ignore[override]
        return super().delay() * self.scale


class DiscordHarness:
    """Runs discord.py clients against one emulator and collects handler errors."""

    def __init__(self, emulator: DiscordEmulator, *, fast_backoff: bool = True) -> None:
        self.emulator = emulator
        self.errors: list[HandlerError] = []
        self._clients: list[tuple[discord.Client, asyncio.Task[None]]] = []
        self._saved_base = discord.http.Route.BASE
        self._saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        self._saved_backoff = discord.client.ExponentialBackoff
        self._patched: list[tuple[Any, str, Any]] = []
        self._apply_globals(fast_backoff)

    # ------------------------------------------------------------ globals
    def _apply_globals(self, fast_backoff: bool) -> None:
        discord.http.Route.BASE = self.emulator.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.emulator.gateway_url)
        if fast_backoff:
            discord.client.ExponentialBackoff = _FastBackoff  # type: ignore[misc]
        self._patch_class_handlers()

    def retarget(self) -> None:
        """Re-point discord.py at the emulator (after it moved to another port)."""
        discord.http.Route.BASE = self.emulator.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.emulator.gateway_url)

    def _patch(self, owner: type, name: str, replacement: Any) -> None:
        definer = next(k for k in owner.__mro__ if name in k.__dict__)
        self._patched.append((definer, name, definer.__dict__[name]))
        setattr(definer, name, replacement)

    def _patch_class_handlers(self) -> None:
        harness = self

        async def view_on_error(view: Any, interaction: Any, error: Exception, item: Any) -> None:
            harness._record(f"view {type(view).__name__} item {item!r}", error)

        async def modal_on_error(modal: Any, interaction: Any, error: Exception) -> None:
            harness._record(f"modal {type(modal).__name__}", error)

        async def tree_on_error(tree: Any, interaction: Any, error: Exception) -> None:
            command = interaction.command
            if command is not None and command._has_any_error_handlers():
                return
            harness._record(f"app command {getattr(command, 'qualified_name', '?')}", error)

        async def command_error(bot: Any, ctx: Any, error: Exception) -> None:
            if bot.extra_events.get("on_command_error"):
                return
            if ctx.command is not None and ctx.command.has_error_handler():
                return
            if ctx.cog is not None and ctx.cog.has_error_handler():
                return
            harness._record(f"prefix command {ctx.command}", error)

        self._patch(discord.ui.view.BaseView, "on_error", view_on_error)
        self._patch(discord.ui.Modal, "on_error", modal_on_error)
        self._patch(app_commands.CommandTree, "on_error", tree_on_error)
        self._patch(commands.Bot, "on_command_error", command_error)

    def _record(self, where: str, error: BaseException | None) -> None:
        tb = (
            "".join(traceback.format_exception(error))
            if error is not None
            else traceback.format_exc()
        )
        self.errors.append(HandlerError(where, error, tb))

    def _hook_client(self, client: discord.Client) -> None:
        if type(client).before_identify_hook is discord.Client.before_identify_hook:
            # discord.py waits 5 s before every re-IDENTIFY (identify rate limit); the
            # emulator has no such limit, so keep re-identify tests fast.
            async def before_identify_hook(shard_id: int | None, *, initial: bool = False) -> None:
                await asyncio.sleep(0)

            client.before_identify_hook = before_identify_hook  # type: ignore[method-assign]
        if type(client).on_error is discord.Client.on_error:
            harness = self

            async def on_error(event_method: str, /, *args: Any, **kwargs: Any) -> None:
                import sys

                harness._record(f"event {event_method}", sys.exc_info()[1])

            client.on_error = on_error  # type: ignore[method-assign]

    # ------------------------------------------------------------ clients
    def make_client(
        self, *, intents: discord.Intents | None = None, **options: Any
    ) -> discord.Client:
        """A ``discord.Client`` with test-friendly options (all non-privileged intents +
        message content unless ``intents`` is given; ``guild_ready_timeout=0.05``)."""
        options.setdefault("guild_ready_timeout", 0.05)
        return discord.Client(intents=intents or default_intents(), **options)

    def make_bot(
        self,
        *,
        intents: discord.Intents | None = None,
        command_prefix: Any = "!",
        **options: Any,
    ) -> commands.Bot:
        """A ``commands.Bot`` with test-friendly options (see :meth:`make_client`)."""
        options.setdefault("guild_ready_timeout", 0.05)
        return commands.Bot(
            command_prefix=command_prefix, intents=intents or default_intents(), **options
        )

    async def connect(
        self,
        client: ClientT,
        *,
        token: str | None = None,
        ready_timeout: float = 5.0,
        wait_ready: bool = True,
    ) -> ClientT:
        """Start ``client`` against the emulator; waits for READY + guilds (``on_ready``).

        Raises whatever ``client.start`` raised (e.g. ``discord.LoginFailure``) if the
        client dies before becoming ready.
        """
        self._hook_client(client)
        client._connection.guild_ready_timeout = min(client._connection.guild_ready_timeout, 0.05)
        task = asyncio.create_task(client.start(token or self.emulator.bot_token))
        self._clients.append((client, task))
        if not wait_ready:
            return client
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {task, ready}, timeout=ready_timeout, return_when="FIRST_COMPLETED"
        )
        if task in done:
            ready.cancel()
            exc = task.exception()
            if exc is not None:
                raise exc
            raise RuntimeError("client.start() returned before the client became ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError(f"client not ready after {ready_timeout}s")
        return client

    def raise_errors(self) -> None:
        """Fail now if any handler raised (and clear the list)."""
        if self.errors:
            errors, self.errors = self.errors, []
            details = "\n".join(f"--- {e.where}\n{e.traceback}" for e in errors)
            raise AssertionError(f"{len(errors)} handler error(s) in the bot:\n{details}")

    async def close(self) -> None:
        """Close all clients and restore discord.py's globals."""
        for client, task in self._clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5)
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self._clients.clear()
        discord.http.Route.BASE = self._saved_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved_gateway
        discord.client.ExponentialBackoff = self._saved_backoff  # type: ignore[misc]
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        self._patched.clear()


def default_intents() -> discord.Intents:
    """Default intents plus message content and members (the emulator grants both)."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    return intents


def emulator_problems(emulator: DiscordEmulator, *, allow_unknown: bool = False) -> list[str]:
    """Server errors, unknown routes and spec violations recorded by ``emulator``."""
    problems = [f"emulator crashed handling {e}" for e in emulator.server_errors]
    if not allow_unknown:
        problems += [
            f"unknown route hit: {c.method} {c.path} (json={c.request_json!r})"
            for c in emulator.unknown_routes
        ]
    problems += validate_calls(emulator.calls)
    return problems


# ---------------------------------------------------------------- fixtures
@pytest.fixture
async def discord_emulator(request: pytest.FixtureRequest) -> AsyncIterator[DiscordEmulator]:
    """A running emulator; checked for unknown routes and spec conformance at teardown."""
    emulator = DiscordEmulator(heartbeat_interval_ms=1000)
    await emulator.start()
    _SESSION_EMULATORS.append(emulator)
    try:
        yield emulator
    finally:
        await emulator.stop()
    allow = request.node.get_closest_marker("discord_allow_unknown_routes") is not None
    problems = emulator_problems(emulator, allow_unknown=allow)
    _REPORTED.add(id(emulator))
    if problems:
        pytest.fail("Discord emulator check failed:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
async def discord_harness(discord_emulator: DiscordEmulator) -> AsyncIterator[DiscordHarness]:
    """Harness connecting discord.py clients to ``discord_emulator``."""
    harness = DiscordHarness(discord_emulator)
    try:
        yield harness
    finally:
        await harness.close()
    harness.raise_errors()


# ---------------------------------------------------------------- hooks
def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's marker."""
    config.addinivalue_line(
        "markers",
        "discord_allow_unknown_routes: the test expects requests to unknown emulator routes",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run on emulator problems that no per-test teardown reported."""
    unreported = [e for e in _SESSION_EMULATORS if id(e) not in _REPORTED]
    problems: list[str] = []
    for emulator in unreported:
        problems.extend(emulator_problems(emulator))
    total_calls = sum(len(e.calls) for e in _SESSION_EMULATORS)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and _SESSION_EMULATORS:
        reporter.write_line(
            f"\ndiscord emulator: {len(_SESSION_EMULATORS)} emulator(s), {total_calls} REST "
            f"call(s) checked against the OpenAPI spec"
        )
    if problems:
        if reporter is not None:
            reporter.write_line("discord emulator problems:\n" + "\n".join(problems), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


__all__ = [
    "DiscordHarness",
    "HandlerError",
    "default_intents",
    "discord_emulator",
    "discord_harness",
    "emulator_problems",
]
