"""Declarations of the `tournament` commands, bound to the service."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context, PersonRef
from bot.core.replies import Reply
from bot.features.tournaments.model import Format
from bot.features.tournaments.service import TournamentService

GROUP = "tournament"
FORMATS = tuple(f.value for f in Format)
TOURNAMENT = Param("tournament", ParamType.INTEGER, min_value=1)
MATCH = Param("match", ParamType.STRING, max_length=12)
SCORE = Param("score", ParamType.STRING, max_length=12)


def declare(service: TournamentService) -> list[Command]:
    """Every tournament command."""

    async def create(
        ctx: Context,
        name: str,
        game: str,
        format: str,
        max_players: int,
        start: datetime,
        checkin: timedelta,
        team_size: int,
        rounds: int | None,
    ) -> Reply:
        return await service.create(
            ctx,
            name=name,
            game=game,
            format=format,
            max_players=max_players,
            start=start,
            checkin=checkin,
            team_size=team_size,
            rounds=rounds,
        )

    async def list_(ctx: Context) -> Reply:
        return await service.list(ctx)

    async def info(ctx: Context, tournament: int) -> Reply:
        return await service.info(ctx, tournament)

    async def join(ctx: Context, tournament: int) -> Reply:
        return await service.join(ctx, tournament)

    async def leave(ctx: Context, tournament: int) -> Reply:
        return await service.leave(ctx, tournament)

    async def checkin(ctx: Context, tournament: int, member: PersonRef | None) -> Reply:
        return await service.checkin(ctx, tournament, member)

    async def seed(ctx: Context, tournament: int, player: PersonRef, position: int) -> Reply:
        return await service.seed(ctx, tournament, player, position)

    async def forbid(ctx: Context, tournament: int, player: PersonRef, other: PersonRef) -> Reply:
        return await service.forbid(ctx, tournament, player, other)

    async def start(ctx: Context, tournament: int) -> Reply:
        return await service.start(ctx, tournament)

    async def report(ctx: Context, tournament: int, match: str, score: str) -> Reply:
        return await service.report(ctx, tournament, match, score)

    async def confirm(ctx: Context, tournament: int, match: str) -> Reply:
        return await service.confirm(ctx, tournament, match)

    async def dispute(ctx: Context, tournament: int, match: str) -> Reply:
        return await service.dispute(ctx, tournament, match)

    async def settle(ctx: Context, tournament: int, match: str, score: str) -> Reply:
        return await service.settle(ctx, tournament, match, score)

    async def bracket(ctx: Context, tournament: int) -> Reply:
        return await service.bracket_image(ctx, tournament)

    async def cancel(ctx: Context, tournament: int) -> Reply:
        return await service.cancel(ctx, tournament)

    async def check_cancel(ctx: Context, tournament: int) -> None:
        await service.check_cancel(ctx, tournament)

    worker = Capability.RUN_EVENTS
    return [
        Command(
            "create",
            create,
            group=GROUP,
            capability=worker,
            params=(
                Param("name", max_length=60),
                Param("game", max_length=40),
                Param("format", ParamType.CHOICE, choices=FORMATS),
                Param("max_players", ParamType.INTEGER, min_value=2, max_value=256),
                Param("start", ParamType.DATETIME),
                Param(
                    "checkin",
                    ParamType.DURATION,
                    required=False,
                    option=True,
                    default=timedelta(minutes=30),
                ),
                Param(
                    "team_size",
                    ParamType.INTEGER,
                    required=False,
                    option=True,
                    default=1,
                    min_value=1,
                    max_value=10,
                ),
                Param(
                    "rounds",
                    ParamType.INTEGER,
                    required=False,
                    option=True,
                    min_value=1,
                    max_value=20,
                ),
            ),
        ),
        Command("list", list_, group=GROUP),
        Command("info", info, group=GROUP, params=(TOURNAMENT,)),
        Command("join", join, group=GROUP, params=(TOURNAMENT,)),
        Command("leave", leave, group=GROUP, params=(TOURNAMENT,)),
        Command(
            "checkin",
            checkin,
            group=GROUP,
            params=(
                TOURNAMENT,
                Param("member", ParamType.MEMBER, required=False, option=True),
            ),
        ),
        Command(
            "seed",
            seed,
            group=GROUP,
            capability=worker,
            params=(
                TOURNAMENT,
                Param("player", ParamType.MEMBER),
                Param("position", ParamType.INTEGER, min_value=1, max_value=256),
            ),
            private=True,
        ),
        Command(
            "forbid",
            forbid,
            group=GROUP,
            capability=worker,
            params=(
                TOURNAMENT,
                Param("player", ParamType.MEMBER),
                Param("other", ParamType.MEMBER),
            ),
            private=True,
        ),
        Command("start", start, group=GROUP, capability=worker, params=(TOURNAMENT,)),
        Command("report", report, group=GROUP, params=(TOURNAMENT, MATCH, SCORE)),
        Command("confirm", confirm, group=GROUP, params=(TOURNAMENT, MATCH)),
        Command("dispute", dispute, group=GROUP, params=(TOURNAMENT, MATCH)),
        Command(
            "settle", settle, group=GROUP, capability=worker, params=(TOURNAMENT, MATCH, SCORE)
        ),
        Command("bracket", bracket, group=GROUP, params=(TOURNAMENT,)),
        Command(
            "cancel",
            cancel,
            group=GROUP,
            capability=worker,
            params=(TOURNAMENT,),
            confirm_key="tournament.cancel_confirm",
            check=check_cancel,
        ),
    ]
