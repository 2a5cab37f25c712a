"""Test controls of the emulator: waiting helpers, gateway disruption, 429 injection."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any, TypeVar

from . import actions
from .base import EmulatorBase
from .rest_core import InjectedRateLimit, RecordedCall
from .state import Json, ref

T = TypeVar("T")
_ANY = object()


class Waiters:
    """Predicate-based waiting: every state change calls :meth:`poke`."""

    def __init__(self) -> None:
        self._pending: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []

    def poke(self) -> None:
        """Re-evaluate all pending predicates."""
        for check, fut in list(self._pending):
            if fut.done():
                continue
            try:
                value = check()
            except Exception as exc:  # surface predicate bugs to the waiter
                fut.set_exception(exc)
                continue
            if value:
                fut.set_result(value)

    async def wait(
        self, check: Callable[[], T | None], timeout: float, what: str, poll: float = 0.005
    ) -> T:
        """Return the first truthy ``check()`` result, or raise TimeoutError after ``timeout``.

        ``check`` runs on every emulator change and also every ``poll`` seconds, so it
        may look at client-side state (e.g. a list filled by an event handler).
        """
        value = check()
        if value:
            return value
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        entry = (check, fut)
        self._pending.append(entry)
        deadline = loop.time() + timeout
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
                await asyncio.wait({fut}, timeout=min(poll, remaining))
                if fut.done():
                    return fut.result()
                value = check()
                if value:
                    return value
        finally:
            self._pending.remove(entry)
            if not fut.done():
                fut.cancel()


class ControlsMixin(EmulatorBase):
    """Waiting for effects, breaking the gateway and injecting rate limits."""

    # ============================================================ waiting
    def _message_posted(self, msg: Json) -> None:
        if msg["id"] not in self.message_log:
            self.message_log.append(msg["id"])
        self.waiters.poke()

    async def wait_for_message(
        self,
        channel: Json | str | None = None,
        *,
        author: Json | str | object | None = _ANY,
        predicate: Callable[[Json], bool] | None = None,
        timeout: float = 5.0,
        consume: bool = True,
        include_ephemeral: bool = False,
    ) -> Json:
        """Wait for the oldest not-yet-returned message matching the filters.

        ``author`` defaults to the bot (pass ``None`` for anyone).  Messages still
        "thinking" (deferred) are skipped until edited; ephemeral interaction responses
        are skipped unless ``include_ephemeral`` (use the InteractionHandle for those).
        With ``consume`` a message is returned by at most one call, so consecutive calls
        walk through replies in order.
        """
        author_id = self.state.bot_user_id if author is _ANY else author
        channel_id = ref(channel) if channel is not None else None

        def find() -> Json | None:
            for mid in self.message_log:
                if mid in self._consumed:
                    continue
                msg = self.state.messages.get(mid)
                if msg is None or msg["flags"] & actions.FLAG_LOADING:
                    continue
                if msg["flags"] & actions.FLAG_EPHEMERAL and not include_ephemeral:
                    continue
                if channel_id is not None and msg["channel_id"] != channel_id:
                    continue
                if author_id is not None and msg["author"]["id"] != ref(author_id):  # type: ignore[arg-type]
                    continue
                if predicate is not None and not predicate(msg):
                    continue
                if consume:
                    self._consumed.add(mid)
                return copy.deepcopy(msg)
            return None

        return await self.waiters.wait(find, timeout, f"a message in {channel_id or 'any'}")

    async def wait_until(
        self, predicate: Callable[[], T | None], *, timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked on every emulator event)."""
        return await self.waiters.wait(predicate, timeout, what)

    async def wait_for_call(
        self,
        route: str,
        *,
        status: int | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> RecordedCall:
        """Wait for a REST call whose ``route`` (``"POST /channels/{channel_id}/messages"``)
        matches, optionally with ``status``; only calls with index >= ``after`` count."""

        def find() -> RecordedCall | None:
            for call in self.calls[after:]:
                if call.route == route and (status is None or call.status == status):
                    return call
            return None

        return await self.waiters.wait(find, timeout, f"REST call {route}")

    def calls_to(self, route: str) -> list[RecordedCall]:
        """Recorded calls for ``"METHOD /template"``."""
        return [c for c in self.calls if c.route == route]

    # ============================================================ gateway control
    def drop_gateway(self) -> int:
        """Cut every gateway connection without a close frame (client should RESUME)."""
        count = self.gateway.drop()
        self.waiters.poke()
        return count

    def send_reconnect(self) -> int:
        """Send op 7 RECONNECT (client should reconnect and RESUME)."""
        return self.gateway.send_reconnect()

    def invalidate_session(self, *, resumable: bool = False) -> int:
        """Send op 9 INVALID_SESSION (client re-IDENTIFYs unless ``resumable``)."""
        return self.gateway.invalidate_session(resumable=resumable)

    async def wait_for_gateway(
        self, *, resumed: bool | None = None, count: int = 1, timeout: float = 5.0
    ) -> None:
        """Wait until ``count`` connections exist that carry a session (optionally only
        resumed ones, or only freshly identified ones)."""

        def check() -> bool:
            conns = [
                c
                for c in self.gateway.connections
                if c.session is not None and (resumed is None or c.resumed == resumed)
            ]
            return len(conns) >= count

        await self.waiters.wait(check, timeout, f"{count} gateway session connection(s)")

    def rate_limit(
        self,
        route: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> InjectedRateLimit:
        """Answer the next ``times`` calls to ``route`` with 429.

        ``route`` is ``"METHOD /template"`` (spec path template, e.g.
        ``"POST /channels/{channel_id}/messages"``), a bare template (any method), or a
        glob on the concrete path (``"/channels/123/*"``).
        """
        method, _, pattern = route.partition(" ") if " " in route else (None, "", route)
        injection = InjectedRateLimit(method, pattern, times, retry_after, is_global)
        self._rate_limits.append(injection)
        return injection
