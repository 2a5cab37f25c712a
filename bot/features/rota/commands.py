"""Declarations of the `oncall` and `rota` commands, bound to the service."""

from __future__ import annotations

from datetime import timedelta

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context, PersonRef
from bot.core.duty import Duty
from bot.core.replies import Reply
from bot.features.rota.service import RotaService

DUTIES = tuple(d.value for d in Duty)


def declare(service: RotaService) -> list[Command]:
    """Every rota command."""

    async def start(ctx: Context, duty: str | None, length: timedelta | None) -> Reply:
        return await service.oncall_start(ctx, duty, length)

    async def stop(ctx: Context) -> Reply:
        return await service.oncall_stop(ctx)

    async def who(ctx: Context) -> Reply:
        return await service.oncall_who(ctx)

    async def set_(
        ctx: Context,
        member: PersonRef,
        duty: str,
        day: str,
        starts: str,
        ends: str,
        backup: bool | None,
    ) -> Reply:
        return await service.set_shift(ctx, member, duty, day, starts, ends, backup)

    async def clear(ctx: Context, shift: int) -> Reply:
        return await service.clear_shift(ctx, shift)

    async def show(ctx: Context, week: bool | None) -> Reply:
        return await service.show(ctx, week)

    shift = Param("shift", ParamType.INTEGER, min_value=1)
    return [
        Command(
            "start",
            start,
            group="oncall",
            params=(
                Param("duty", ParamType.CHOICE, required=False, choices=DUTIES, option=True),
                Param("length", ParamType.DURATION, required=False, option=True),
            ),
            capability=Capability.TAKE_DUTY,
            check=service.check_oncall_start,
            private=True,
        ),
        Command("stop", stop, group="oncall", capability=Capability.TAKE_DUTY, private=True),
        Command("who", who, group="oncall", capability=Capability.TAKE_DUTY, private=True),
        Command(
            "set",
            set_,
            group="rota",
            capability=Capability.MANAGE_ROTA,
            params=(
                Param("member", ParamType.MEMBER),
                Param("duty", ParamType.CHOICE, choices=DUTIES),
                Param("day", ParamType.STRING, max_length=20),
                Param("starts", ParamType.STRING, max_length=5),
                Param("ends", ParamType.STRING, max_length=5),
                Param("backup", ParamType.BOOLEAN, required=False, option=True),
            ),
            private=True,
        ),
        Command(
            "clear",
            clear,
            group="rota",
            capability=Capability.MANAGE_ROTA,
            params=(shift,),
            check=service.check_clear,
            confirm_key="rota.clear.confirm",
            private=True,
        ),
        Command(
            "show",
            show,
            group="rota",
            params=(Param("week", ParamType.BOOLEAN, required=False, option=True),),
            capability=Capability.TAKE_DUTY,
            private=True,
        ),
    ]
