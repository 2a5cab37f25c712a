"""Declarations of the `room` commands, bound to the service."""

from __future__ import annotations

from datetime import timedelta

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context
from bot.core.replies import Reply
from bot.features.rooms.service import MAX_SLOWMODE, RoomService

GROUP = "room"
ROOM_OPTION = Param("room", ParamType.INTEGER, required=False, min_value=1, option=True)


def declare(service: RoomService) -> list[Command]:
    """Every discussion-room command."""

    async def open_(
        ctx: Context, topic: str, duration: timedelta | None, rules: str | None
    ) -> Reply:
        return await service.open(ctx, topic=topic, duration=duration, rules=rules)

    async def accept(ctx: Context, room: int) -> Reply:
        return await service.accept(ctx, room)

    async def ask(ctx: Context, question: str, room: int | None) -> Reply:
        return await service.ask(ctx, question, room)

    async def slowmode(ctx: Context, seconds: int, room: int | None) -> Reply:
        return await service.slowmode(ctx, seconds, room)

    async def check_close(ctx: Context, room: int | None) -> None:
        await service.check_close(ctx, room)

    async def close(ctx: Context, room: int | None) -> Reply:
        return await service.close(ctx, room)

    async def list_(ctx: Context) -> Reply:
        return await service.list(ctx)

    return [
        Command(
            "open",
            open_,
            group=GROUP,
            capability=Capability.RUN_ROOMS,
            params=(
                Param("topic", ParamType.TEXT, max_length=100),
                Param("duration", ParamType.DURATION, required=False, option=True, flag="for"),
                Param("rules", ParamType.STRING, required=False, option=True, max_length=1000),
            ),
        ),
        Command(
            "accept",
            accept,
            group=GROUP,
            params=(Param("room", ParamType.INTEGER, min_value=1),),
            private=True,
        ),
        Command(
            "ask",
            ask,
            group=GROUP,
            params=(Param("question", ParamType.TEXT, max_length=500), ROOM_OPTION),
            private=True,
            discreet=True,
        ),
        Command(
            "slowmode",
            slowmode,
            group=GROUP,
            params=(
                Param("seconds", ParamType.INTEGER, min_value=0, max_value=MAX_SLOWMODE),
                ROOM_OPTION,
            ),
        ),
        Command(
            "close",
            close,
            group=GROUP,
            params=(Param("room", ParamType.INTEGER, required=False, min_value=1),),
            check=check_close,
            confirm_key="rooms.close.confirm",
        ),
        Command("list", list_, group=GROUP),
    ]
