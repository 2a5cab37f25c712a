"""Test-only commands shared by feature and platform tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.replies import Reply


def wipe_command(
    wiped: list[int],
    *,
    confirm: bool = True,
    check: Callable[..., Awaitable[None]] | None = None,
) -> Command:
    """`test wipe <count>`: needs RUN_EVENTS, asks for confirmation, records what it did."""

    async def wipe(ctx: Any, count: int) -> Reply:
        wiped.append(count)
        return Reply(f"wiped {count}")

    return Command(
        "wipe",
        wipe,
        group="test",
        params=(Param("count", ParamType.INTEGER, min_value=1),),
        capability=Capability.RUN_EVENTS,
        confirm_key="common.done" if confirm else None,
        check=check,
    )
