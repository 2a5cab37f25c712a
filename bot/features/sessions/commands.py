"""Declarations of the `session` commands, bound to the service."""

from __future__ import annotations

from datetime import timedelta

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context, RoomRef
from bot.core.replies import Reply
from bot.features.sessions.service import SessionService

GROUP = "session"
SESSION = Param("session", ParamType.INTEGER, min_value=1)


def declare(service: SessionService) -> list[Command]:
    """Every session command."""

    async def schedule(
        ctx: Context,
        title: str,
        when: str,
        every: str | None,
        place: RoomRef | None,
        length: timedelta | None,
        remind: timedelta | None,
        zone: str | None,
    ) -> Reply:
        return await service.schedule(
            ctx,
            title=title,
            when=when,
            every=every,
            room=place,
            length=length,
            remind=remind,
            zone=zone,
        )

    async def list_(ctx: Context) -> Reply:
        return await service.list(ctx)

    async def info(ctx: Context, session: int) -> Reply:
        return await service.info(ctx, session)

    async def rsvp(ctx: Context, session: int, cancel: bool | None) -> Reply:
        return await service.rsvp(ctx, session, cancel)

    async def cancel(ctx: Context, session: int) -> Reply:
        return await service.cancel(ctx, session)

    return [
        Command(
            "schedule",
            schedule,
            group=GROUP,
            capability=Capability.RUN_EVENTS,
            params=(
                Param("title", max_length=80),
                Param("when", max_length=40),
                Param("every", required=False, option=True, max_length=60),
                Param("place", ParamType.ROOM, required=False, option=True, flag="room"),
                Param("length", ParamType.DURATION, required=False, option=True),
                Param("remind", ParamType.DURATION, required=False, option=True),
                Param("zone", required=False, option=True, max_length=40),
            ),
        ),
        Command("list", list_, group=GROUP, private=True),
        Command("info", info, group=GROUP, params=(SESSION,), private=True),
        Command(
            "rsvp",
            rsvp,
            group=GROUP,
            params=(SESSION, Param("cancel", ParamType.BOOLEAN, required=False, option=True)),
            private=True,
        ),
        Command(
            "cancel",
            cancel,
            group=GROUP,
            params=(SESSION,),
            check=service.check_cancel,
            confirm_key="sessions.cancel.confirm",
        ),
    ]
