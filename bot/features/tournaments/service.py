"""Tournament rules: sign-up, check-in, seeding, brackets, results, finish, debrief.

Every change is written (and audited) before anyone is told about it. Announcements go
to the room where the tournament was created, through the platform's ports.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.capabilities import Capability
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.errors import UserError
from bot.core.i18n import Catalogues, Translator
from bot.core.ports import Clock
from bot.core.replies import Attachment, Button, ButtonStyle, Reply
from bot.features.tournaments import brackets
from bot.features.tournaments.entrants import Entrants, form_teams
from bot.features.tournaments.model import Bracket, Format, Match, MatchStatus, Side
from bot.features.tournaments.repository import (
    Player,
    PlayerState,
    ReportState,
    Status,
    Tournament,
    TournamentRepository,
)
from bot.scheduling.scheduler import Scheduler
from bot.storage.audit_repository import AuditRepository

SCORE = re.compile(r"^\s*(\d{1,3})\s*[-–:]\s*(\d{1,3})\s*$")
CHECKIN_OPEN = "tournament.checkin_open"
CHECKIN_CLOSE = "tournament.checkin_close"
CHECKIN_REMIND = "tournament.checkin_remind"


def parse_score(raw: str) -> tuple[int, int]:
    """`2-1`, `2–1` or `2:1` -> (2, 1)."""
    match = SCORE.match(raw)
    if match is None:
        raise UserError("tournament.bad_score", score=raw)
    return int(match[1]), int(match[2])


@dataclass
class Announcer:
    """Posts to a tournament's room on its platform (jobs have no invocation context)."""

    platform_for: Callable[[str], Any]
    catalogues: Catalogues
    default_locale: str

    def translator(self) -> Translator:
        return self.catalogues.translator(self.default_locale)

    async def post(self, tournament: Tournament, reply: Reply) -> None:
        platform = self.platform_for(tournament.platform)
        await platform.send(RoomRef(tournament.platform, tournament.room_id), reply)


class TournamentService:
    """Runs tournaments; handlers call these methods with their context."""

    def __init__(
        self,
        repo: TournamentRepository,
        audit: AuditRepository,
        scheduler: Scheduler,
        clock: Clock,
        announcer: Announcer,
        *,
        rng: Callable[[], random.Random] = random.Random,
    ) -> None:
        self.repo = repo
        self.audit = audit
        self.scheduler = scheduler
        self.clock = clock
        self.announcer = announcer
        self.rng = rng
        scheduler.register(CHECKIN_OPEN, self._job_open_checkin)
        scheduler.register(CHECKIN_CLOSE, self._job_close_checkin)
        scheduler.register(CHECKIN_REMIND, self._job_remind_checkin)

    # -- lookups -------------------------------------------------------------------------

    async def get(self, ctx: Context, tournament_id: int) -> Tournament:
        """The tournament, or a localised refusal."""
        found = await self.repo.get(tournament_id)
        if found is None or found.platform != ctx.room.platform:
            raise UserError("tournament.unknown", id=tournament_id)
        return found

    @staticmethod
    def person(tournament: Tournament, player: Player) -> PersonRef:
        """A player as a platform identity (for mentions)."""
        return PersonRef(tournament.platform, player.user_id, player.display_name)

    # -- create, join, leave -------------------------------------------------------------

    async def create(
        self,
        ctx: Context,
        *,
        name: str,
        game: str,
        format: str,
        max_players: int,
        start: datetime,
        checkin: timedelta,
        team_size: int,
        rounds: int | None,
    ) -> Reply:
        """A new tournament, announced with a join control."""
        now = ctx.now
        if start <= now:
            raise UserError("tournament.start_in_past")
        fmt = Format(format)
        if fmt is not Format.SWISS and rounds is not None:
            raise UserError("tournament.rounds_only_swiss")
        room = ctx.platform.room_for("tournaments") or ctx.room
        tournament_id = await self.repo.create(
            platform=ctx.room.platform,
            room_id=room.room_id,
            name=name,
            game=game,
            format=fmt,
            max_players=max_players,
            team_size=team_size,
            swiss_rounds=rounds or 0,
            starts_at=start,
            checkin_minutes=int(checkin.total_seconds() // 60),
            organiser=ctx.actor.person_id,
            organiser_user_id=ctx.actor.identity.user_id,
            now=now,
        )
        await self.audit.record(now, ctx.actor.person_id, "tournament.create", f"t{tournament_id}")
        opens = max(start - checkin, now)
        await self.scheduler.schedule(
            f"t{tournament_id}:checkin_open", CHECKIN_OPEN, opens, {"id": tournament_id}
        )
        await self.scheduler.schedule(
            f"t{tournament_id}:checkin_close", CHECKIN_CLOSE, start, {"id": tournament_id}
        )
        lead = min(timedelta(minutes=5), checkin / 2)
        if start - lead > opens:
            await self.scheduler.schedule(
                f"t{tournament_id}:checkin_remind",
                CHECKIN_REMIND,
                start - lead,
                {"id": tournament_id, "minutes": max(int(lead.total_seconds() // 60), 1)},
            )
        announcement = Reply(
            ctx.t(
                "tournament.created",
                id=tournament_id,
                name=name,
                game=game,
                format=ctx.t(f"choice.format.{fmt.value}"),
                max_players=max_players,
                start=_when(start, ctx),
                checkin=int(checkin.total_seconds() // 60),
            ),
            buttons=(
                Button(
                    ctx.t("tournament.join_button"),
                    f"tournament join:{tournament_id}",
                    ButtonStyle.PRIMARY,
                    "✋",
                    personal=False,
                ),
            ),
        )
        if room.room_id == ctx.room.room_id:
            return announcement
        await ctx.platform.send(room, announcement)
        return Reply(
            ctx.t("tournament.announced_in", id=tournament_id, room=room.name or room.room_id)
        )

    async def join(self, ctx: Context, tournament_id: int) -> Reply:
        """Sign up (or join the waiting list when full)."""
        tournament = await self.get(ctx, tournament_id)
        if tournament.status not in (Status.OPEN, Status.CHECKIN):
            raise UserError("tournament.closed", name=tournament.name)
        players = await self.repo.players(tournament_id)
        if any(p.person_id == ctx.actor.person_id for p in players):
            raise UserError("tournament.already_joined", name=tournament.name)
        active = [p for p in players if p.state is not PlayerState.WAITING]
        full = len(active) >= tournament.max_players
        state = PlayerState.WAITING if full else PlayerState.JOINED
        if tournament.status is Status.CHECKIN and not full:
            state = PlayerState.CHECKED_IN  # joining during check-in counts as checking in
        added = await self.repo.add_player(
            tournament_id,
            ctx.actor.person_id,
            ctx.actor.identity.user_id,
            ctx.actor.identity.label,
            state,
            ctx.now,
        )
        if not added:
            raise UserError("tournament.already_joined", name=tournament.name)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.join", f"t{tournament_id}", state=state
        )
        key = "tournament.waitlisted" if full else "tournament.joined"
        return Reply(ctx.t(key, name=tournament.name, count=len(active) + (0 if full else 1)))

    async def leave(self, ctx: Context, tournament_id: int) -> Reply:
        """Withdraw before the start; the first on the waiting list moves up."""
        tournament = await self.get(ctx, tournament_id)
        if tournament.status not in (Status.OPEN, Status.CHECKIN):
            raise UserError("tournament.closed", name=tournament.name)
        players = await self.repo.players(tournament_id)
        me = next((p for p in players if p.person_id == ctx.actor.person_id), None)
        if me is None:
            raise UserError("tournament.not_joined", name=tournament.name)
        await self.repo.remove_player(tournament_id, me.person_id)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.leave", f"t{tournament_id}"
        )
        promoted = None
        if me.state is not PlayerState.WAITING:
            promoted = next((p for p in players if p.state is PlayerState.WAITING), None)
            if promoted is not None:
                await self.repo.set_player_state(
                    tournament_id, promoted.person_id, PlayerState.JOINED
                )
                await self.audit.record(
                    ctx.now, "system", "tournament.promote", f"t{tournament_id}",
                    person=promoted.person_id,
                )  # fmt: skip
                person = self.person(tournament, promoted)
                await self.announcer.post(
                    tournament,
                    Reply(
                        self.announcer.translator().gettext(
                            "tournament.promoted",
                            player=ctx.mention(person),
                            name=tournament.name,
                        ),
                        mentions=(person,),
                    ),
                )
        return Reply(ctx.t("tournament.left", name=tournament.name))

    # -- listing ---------------------------------------------------------------------------

    async def list(self, ctx: Context) -> Reply:
        """Tournaments still to come or running on this platform."""
        found = await self.repo.list_active(ctx.room.platform)
        if not found:
            return Reply(ctx.t("tournament.none"))
        lines = [ctx.t("tournament.list_title")]
        for t in found:
            players = [p for p in await self.repo.players(t.tournament_id)
                       if p.state in (PlayerState.JOINED, PlayerState.CHECKED_IN)]  # fmt: skip
            lines.append(
                ctx.t(
                    "tournament.list_line",
                    id=t.tournament_id,
                    name=t.name,
                    game=t.game,
                    start=_when(t.starts_at, ctx),
                    count=len(players),
                    max_players=t.max_players,
                    status=ctx.t(f"tournament.status.{t.status.value}"),
                )
            )
        return Reply("\n".join(lines))

    async def info(self, ctx: Context, tournament_id: int) -> Reply:
        """Details and the public list of players (nobody's private data)."""
        t = await self.get(ctx, tournament_id)
        players = await self.repo.players(tournament_id)
        active = [p.display_name for p in players
                  if p.state in (PlayerState.JOINED, PlayerState.CHECKED_IN)]  # fmt: skip
        waiting = [p.display_name for p in players if p.state is PlayerState.WAITING]
        text = ctx.t(
            "tournament.info",
            id=t.tournament_id,
            name=t.name,
            game=t.game,
            format=ctx.t(f"choice.format.{t.format.value}"),
            start=_when(t.starts_at, ctx),
            status=ctx.t(f"tournament.status.{t.status.value}"),
            count=len(active),
            max_players=t.max_players,
            players=", ".join(active) or "—",
        )
        if waiting:
            text += "\n" + ctx.t("tournament.info_waiting", players=", ".join(waiting))
        return Reply(text)

    # -- youth-worker controls -----------------------------------------------------------

    async def _player(self, tournament_id: int, person: PersonRef, ctx: Context) -> Player:
        players = await self.repo.players(tournament_id)
        for player in players:
            if player.user_id == person.user_id:
                return player
        raise UserError("tournament.not_a_player", player=person.label)

    async def forbid(self, ctx: Context, tournament_id: int, a: PersonRef, b: PersonRef) -> Reply:
        """Keep two players apart in pairings where possible."""
        t = await self.get(ctx, tournament_id)
        first = await self._player(tournament_id, a, ctx)
        second = await self._player(tournament_id, b, ctx)
        if first.person_id == second.person_id:
            raise UserError("tournament.forbid_same")
        await self.repo.forbid(tournament_id, first.person_id, second.person_id)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.forbid", f"t{tournament_id}"
        )
        return Reply(ctx.t("tournament.forbidden", name=t.name), private=True)

    async def seed(
        self, ctx: Context, tournament_id: int, member: PersonRef, position: int
    ) -> Reply:
        """Put a player at a manual seed position (1 = top seed)."""
        t = await self.get(ctx, tournament_id)
        if t.status in (Status.RUNNING, Status.FINISHED, Status.CANCELLED):
            raise UserError("tournament.already_started", name=t.name)
        player = await self._player(tournament_id, member, ctx)
        await self.repo.set_seed(tournament_id, player.person_id, position)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.seed", f"t{tournament_id}"
        )
        return Reply(ctx.t("tournament.seeded", player=player.display_name, position=position))

    async def checkin(self, ctx: Context, tournament_id: int, member: PersonRef | None) -> Reply:
        """Check in yourself, or (youth worker) someone else."""
        t = await self.get(ctx, tournament_id)
        if t.status is not Status.CHECKIN:
            raise UserError("tournament.checkin_not_open", name=t.name)
        if member is not None and member.user_id != ctx.actor.identity.user_id:
            if not ctx.actor.can(Capability.RUN_EVENTS):
                raise UserError("error.no_permission", capability=Capability.RUN_EVENTS.value)
            target = await self._player(tournament_id, member, ctx)
        else:
            target = await self._player(tournament_id, ctx.actor.identity, ctx)
        if target.state is PlayerState.WAITING:
            raise UserError("tournament.waiting_cannot_checkin")
        await self.repo.set_player_state(tournament_id, target.person_id, PlayerState.CHECKED_IN)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.checkin", f"t{tournament_id}",
            person=target.person_id,
        )  # fmt: skip
        return Reply(ctx.t("tournament.checked_in", player=target.display_name, name=t.name))

    async def _job_open_checkin(self, payload: dict[str, Any]) -> None:
        t = await self.repo.get(int(payload["id"]))
        if t is None or t.status is not Status.OPEN:
            return
        await self.repo.set_status(t.tournament_id, Status.CHECKIN)
        await self.audit.record(
            self.clock.now(), "system", "tournament.checkin_open", f"t{t.tournament_id}"
        )
        players = [p for p in await self.repo.players(t.tournament_id)
                   if p.state is PlayerState.JOINED]  # fmt: skip
        people = tuple(self.person(t, p) for p in players)
        platform = self.announcer.platform_for(t.platform)
        tr = self.announcer.translator()
        mentions = " ".join(platform.mention(p) for p in people)
        await self.announcer.post(
            t,
            Reply(
                tr.gettext("tournament.checkin_opened", name=t.name, id=t.tournament_id,
                           players=mentions or "—"),
                mentions=people,
                buttons=(Button(tr.gettext("tournament.checkin_button"),
                                f"tournament checkin:{t.tournament_id}", ButtonStyle.SUCCESS,
                                "✅", personal=False),),
            ),
        )  # fmt: skip

    async def _job_remind_checkin(self, payload: dict[str, Any]) -> None:
        t = await self.repo.get(int(payload["id"]))
        if t is None or t.status is not Status.CHECKIN:
            return
        missing = [p for p in await self.repo.players(t.tournament_id)
                   if p.state is PlayerState.JOINED]  # fmt: skip
        if not missing:
            return
        people = tuple(self.person(t, p) for p in missing)
        platform = self.announcer.platform_for(t.platform)
        text = self.announcer.translator().gettext(
            "tournament.checkin_reminder",
            players=" ".join(platform.mention(p) for p in people),
            name=t.name,
            id=t.tournament_id,
            minutes=payload.get("minutes", 5),
        )
        await self.announcer.post(t, Reply(text, mentions=people))

    async def _job_close_checkin(self, payload: dict[str, Any]) -> None:
        t = await self.repo.get(int(payload["id"]))
        if t is None:
            return
        if t.status is Status.OPEN:
            await self._job_open_checkin(payload)
            t = await self.repo.get(t.tournament_id)
            assert t is not None
        if t.status is not Status.CHECKIN:
            return
        dropped = [p for p in await self.repo.players(t.tournament_id)
                   if p.state is PlayerState.JOINED]  # fmt: skip
        await self.repo.drop_unchecked(t.tournament_id)
        await self.audit.record(
            self.clock.now(), "system", "tournament.checkin_close", f"t{t.tournament_id}",
            dropped=len(dropped),
        )  # fmt: skip
        tr = self.announcer.translator()
        names = ", ".join(p.display_name for p in dropped) or "—"
        await self.announcer.post(
            t, Reply(tr.gettext("tournament.checkin_closed", name=t.name, dropped=names))
        )

    async def reconcile(self) -> None:
        """After a restart: catch up on steps whose time passed while Haven was down."""
        now = self.clock.now()
        for t in await self.repo.all_unfinished():
            opens = t.starts_at - timedelta(minutes=t.checkin_minutes)
            if t.status is Status.OPEN and now >= opens:
                await self._job_open_checkin({"id": t.tournament_id})
            if t.status in (Status.OPEN, Status.CHECKIN) and now >= t.starts_at:
                await self._job_close_checkin({"id": t.tournament_id})

    # -- start and matches ---------------------------------------------------------------

    async def start(self, ctx: Context, tournament_id: int) -> Reply:
        """Seed the players and generate the bracket; announce the first matches."""
        t = await self.get(ctx, tournament_id)
        if t.status in (Status.RUNNING, Status.FINISHED, Status.CANCELLED):
            raise UserError("tournament.already_started", name=t.name)
        players = await self.repo.players(tournament_id)
        wanted = PlayerState.CHECKED_IN if t.status is Status.CHECKIN else PlayerState.JOINED
        playing = [p for p in players if p.state in (wanted, PlayerState.CHECKED_IN)]
        if len(playing) < 2:
            raise UserError("tournament.too_few_players", name=t.name)
        forbidden = await self.repo.forbidden(tournament_id)
        manual = [
            p.person_id for p in sorted(playing, key=lambda p: (p.seed is None, p.seed or 0))
        ]
        has_manual = any(p.seed is not None for p in playing)
        order = brackets.seed(
            [p.person_id for p in playing],
            rng=self.rng(),
            manual=manual if has_manual else None,
            forbidden=forbidden,
        )
        teams: dict[str, list[str]] = {}
        if t.team_size > 1:
            if len(playing) < 2 * t.team_size:
                raise UserError("tournament.too_few_for_teams", name=t.name, size=t.team_size)
            teams = form_teams(order, t.team_size, self.rng())
            order, forbidden = list(teams), []
        bracket = brackets.generate(
            t.format, order, swiss_rounds=t.swiss_rounds or None, forbidden=forbidden
        )
        await self.repo.save_start(tournament_id, bracket, teams)
        t = await self.get(ctx, tournament_id)
        await self.scheduler.cancel_prefix(f"t{tournament_id}:")
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.start", f"t{tournament_id}"
        )
        await self._announce_ready(t, bracket, players, ctx)
        return Reply(ctx.t("tournament.started", name=t.name, count=len(playing)))

    async def _announce_ready(
        self, t: Tournament, bracket: Bracket, players: list[Player], ctx: Context | None,
        only: set[str] | None = None,
    ) -> None:  # fmt: skip
        entrants = Entrants.of(t, players)
        platform = self.announcer.platform_for(t.platform)
        tr = ctx.translator if ctx is not None else self.announcer.translator()
        for match in brackets.ready_matches(bracket):
            if only is not None and match.id not in only:
                continue
            side_a = entrants.people(match.a or "")
            side_b = entrants.people(match.b or "")
            text = tr.gettext(
                "tournament.match_ready",
                match=match.id,
                a=" ".join(platform.mention(p) for p in side_a),
                b=" ".join(platform.mention(p) for p in side_b),
                id=t.tournament_id,
            )
            await self.announcer.post(t, Reply(text, mentions=(*side_a, *side_b)))

    def _match(self, t: Tournament, match_id: str) -> Match:
        assert t.bracket is not None
        match = t.bracket.matches.get(match_id.upper())
        if match is None:
            raise UserError("tournament.unknown_match", match=match_id)
        return match

    async def report(self, ctx: Context, tournament_id: int, match: str, score: str) -> Reply:
        """A player reports (the opponent confirms); a youth worker's report counts at once."""
        t = await self.get(ctx, tournament_id)
        if t.status is not Status.RUNNING or t.bracket is None:
            raise UserError("tournament.not_running", name=t.name)
        m = self._match(t, match)
        score_a, score_b = parse_score(score)
        if m.status is not MatchStatus.READY:
            raise UserError("tournament.match_not_open", match=m.id)
        draw_allowed = m.side is Side.POOL
        if score_a == score_b and not draw_allowed:
            raise UserError("tournament.no_draws", match=m.id)
        winner = m.a if score_a > score_b else m.b if score_b > score_a else None
        players = await self.repo.players(tournament_id)
        entrants = Entrants.of(t, players)
        me = entrants.entrant(ctx.actor.person_id)
        if ctx.actor.can(Capability.RUN_EVENTS) and me not in m.players:
            return await self._apply(ctx, t, m, winner, score_a, score_b, settled=True)
        if me is None or me not in m.players:
            raise UserError("tournament.not_your_match", match=m.id)
        if not await self.repo.put_report(
            tournament_id, m.id, me, winner, score_a, score_b, ctx.now
        ):
            raise UserError("tournament.already_reported", match=m.id)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.report", f"t{tournament_id}", match=m.id
        )
        other = m.b if me == m.a else m.a
        opponents = tuple(entrants.people(other or ""))
        action = f"{tournament_id} {m.id}"
        await self.announcer.post(
            t,
            Reply(
                ctx.t("tournament.reported", match=m.id, score=f"{score_a}-{score_b}",
                      opponent=" ".join(ctx.mention(p) for p in opponents), id=tournament_id),
                mentions=opponents,
                buttons=(
                    Button(ctx.t("tournament.confirm_button"), f"tournament confirm:{action}",
                           ButtonStyle.SUCCESS, "👍", personal=False),
                    Button(ctx.t("tournament.dispute_button"), f"tournament dispute:{action}",
                           ButtonStyle.DANGER, "👎", personal=False),
                ),
            ),
        )  # fmt: skip
        return Reply(ctx.t("tournament.report_waiting", match=m.id))

    async def confirm(self, ctx: Context, tournament_id: int, match: str) -> Reply:
        """The opponent agrees with the reported result."""
        t, m, report = await self._open_report(ctx, tournament_id, match)
        await self._check_opponent(ctx, t, m, report.reporter)
        return await self._apply(ctx, t, m, report.winner, report.score_a, report.score_b)

    async def dispute(self, ctx: Context, tournament_id: int, match: str) -> Reply:
        """The opponent disagrees: a youth worker is pinged to settle it."""
        t, m, report = await self._open_report(ctx, tournament_id, match)
        await self._check_opponent(ctx, t, m, report.reporter)
        await self.repo.set_report_state(tournament_id, m.id, ReportState.DISPUTED)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.dispute", f"t{tournament_id}", match=m.id
        )
        worker = PersonRef(t.platform, t.organiser_user_id)
        await self.announcer.post(
            t,
            Reply(ctx.t("tournament.disputed", match=m.id, worker=ctx.mention(worker),
                        id=tournament_id), mentions=(worker,)),
        )  # fmt: skip
        return Reply(ctx.t("tournament.dispute_noted", match=m.id))

    async def settle(self, ctx: Context, tournament_id: int, match: str, score: str) -> Reply:
        """A youth worker decides a match (disputed or not)."""
        t = await self.get(ctx, tournament_id)
        if t.status is not Status.RUNNING or t.bracket is None:
            raise UserError("tournament.not_running", name=t.name)
        m = self._match(t, match)
        if m.status is not MatchStatus.READY:
            raise UserError("tournament.match_not_open", match=m.id)
        score_a, score_b = parse_score(score)
        if score_a == score_b and m.side is not Side.POOL:
            raise UserError("tournament.no_draws", match=m.id)
        winner = m.a if score_a > score_b else m.b if score_b > score_a else None
        return await self._apply(ctx, t, m, winner, score_a, score_b, settled=True)

    async def _check_opponent(self, ctx: Context, t: Tournament, m: Match, reporter: str) -> None:
        entrants = Entrants.of(t, await self.repo.players(t.tournament_id))
        mine = entrants.entrant(ctx.actor.person_id)
        if mine is None or mine == reporter or mine not in m.players:
            raise UserError("tournament.only_opponent", match=m.id)

    async def _open_report(self, ctx: Context, tournament_id: int, match: str):  # type: ignore[no-untyped-def]
        t = await self.get(ctx, tournament_id)
        if t.status is not Status.RUNNING or t.bracket is None:
            raise UserError("tournament.not_running", name=t.name)
        m = self._match(t, match)
        report = await self.repo.get_report(tournament_id, m.id)
        if report is None or report.state is not ReportState.PENDING:
            raise UserError("tournament.no_report", match=m.id)
        return t, m, report

    async def _apply(
        self, ctx: Context, t: Tournament, m: Match, winner: str | None, score_a: int,
        score_b: int, *, settled: bool = False,
    ) -> Reply:  # fmt: skip
        assert t.bracket is not None
        bracket = t.bracket
        before = {x.id for x in brackets.ready_matches(bracket)}
        brackets.report(bracket, m.id, winner, score_a, score_b)
        if (
            bracket.format is Format.SWISS
            and _round_done(bracket)
            and not brackets.is_finished(bracket)
        ):
            try:
                brackets.next_round(bracket)
            except ValueError:
                # No pairing without a rematch is left: the tournament ends with this round.
                bracket.swiss_rounds = max(m.round for m in bracket.matches.values())
        finished = brackets.is_finished(bracket)
        await self.repo.apply_result(
            t.tournament_id, m.id, bracket, Status.FINISHED if finished else None
        )
        action = "tournament.settle" if settled else "tournament.result"
        await self.audit.record(ctx.now, ctx.actor.person_id, action, f"t{t.tournament_id}",
                                match=m.id, score=f"{score_a}-{score_b}")  # fmt: skip
        players = await self.repo.players(t.tournament_id)
        names = Entrants.of(t, players).names()
        result = ctx.t(
            "tournament.result",
            match=m.id,
            a=names.get(m.a or "", "—"),
            b=names.get(m.b or "", "—"),
            score=f"{score_a}-{score_b}",
        )
        await self.announcer.post(t, Reply(result))
        if finished:
            await self._finish(ctx, t, bracket, players)
        else:
            fresh = {x.id for x in brackets.ready_matches(bracket)} - before
            await self._announce_ready(t, bracket, players, ctx, only=fresh)
        return Reply(ctx.t("tournament.result_saved", match=m.id))

    async def _finish(
        self, ctx: Context, t: Tournament, bracket: Bracket, players: list[Player]
    ) -> None:
        entrants = Entrants.of(t, players)
        names = entrants.names()
        lines = [ctx.t("tournament.finished", name=t.name)]
        for standing in brackets.standings(bracket)[:8]:
            lines.append(f"{standing.rank}. {names.get(standing.player, '—')}")
        await self.announcer.post(t, Reply("\n".join(lines)))
        platform = self.announcer.platform_for(t.platform)
        members = [person for e in bracket.players for person in entrants.people(e)]
        members.append(PersonRef(t.platform, t.organiser_user_id))
        room = await platform.space_admin.open_private_room(
            ctx.t("tournament.debrief_name", name=t.name),
            members,
            parent=RoomRef(t.platform, t.room_id),
        )
        await self.repo.set_debrief_room(t.tournament_id, room.room_id)
        await self.audit.record(ctx.now, "system", "tournament.debrief", f"t{t.tournament_id}")
        await platform.send(room, Reply(ctx.t("tournament.debrief_rules", name=t.name)))

    # -- bracket and cancel --------------------------------------------------------------

    async def bracket_image(self, ctx: Context, tournament_id: int) -> Reply:
        """The current bracket as a PNG, with a text fallback."""
        from bot.features.tournaments import render

        t = await self.get(ctx, tournament_id)
        if t.bracket is None:
            raise UserError("tournament.not_started", name=t.name)
        names = Entrants.of(t, await self.repo.players(tournament_id)).names()
        table = (
            brackets.standings(t.bracket)
            if t.bracket.format in (Format.ROUND_ROBIN, Format.SWISS)
            else None
        )
        labels = render_labels(ctx)
        png = await asyncio.to_thread(
            render.render_png,
            t.bracket,
            names,
            title=t.name,
            labels=labels,
            standings=table,
            font_path=bracket_font(),
        )
        text = render.render_text(t.bracket, names, labels, standings=table)
        return Reply(
            f"{t.name}\n{text}",
            attachments=(Attachment(f"bracket-{tournament_id}.png", png, "image/png", t.name),),
        )

    async def check_cancel(self, ctx: Context, tournament_id: int) -> None:
        """Refuse before asking for confirmation."""
        t = await self.get(ctx, tournament_id)
        if t.status in (Status.FINISHED, Status.CANCELLED):
            raise UserError("tournament.closed", name=t.name)

    async def cancel(self, ctx: Context, tournament_id: int) -> Reply:
        """Cancel (after confirmation); players are told."""
        t = await self.get(ctx, tournament_id)
        await self.repo.set_status(tournament_id, Status.CANCELLED)
        await self.scheduler.cancel_prefix(f"t{tournament_id}:")
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "tournament.cancel", f"t{tournament_id}"
        )
        await self.announcer.post(t, Reply(ctx.t("tournament.cancelled", name=t.name)))
        return Reply(ctx.t("tournament.cancel_done", name=t.name), private=True)


def bracket_font() -> str | None:
    """Noto Sans (Latin with accents, Cyrillic, Greek), shipped as a Python package."""
    try:
        import fontpkg_noto_sans
    except ImportError:
        return None
    path = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
    return str(path) if path.exists() else None


def render_labels(ctx: Context) -> Any:
    """The renderer's captions in the reader's language."""
    from bot.features.tournaments.render import RenderLabels

    t = ctx.translator.template
    return RenderLabels(
        winners_bracket=t("bracket.winners"),
        losers_bracket=t("bracket.losers"),
        grand_final=t("bracket.grand_final"),
        grand_final_reset=t("bracket.grand_final_reset"),
        final=t("bracket.final"),
        round=t("bracket.round"),
        bye=t("bracket.bye"),
        winner_of=t("bracket.winner_of"),
        loser_of=t("bracket.loser_of"),
        versus=t("bracket.versus"),
        draw=t("bracket.draw"),
        standings=t("bracket.standings"),
    )


def _round_done(bracket: Bracket) -> bool:
    return not brackets.ready_matches(bracket) and all(
        m.status in (MatchStatus.DONE, MatchStatus.BYE) for m in bracket.matches.values()
    )


def _when(moment: datetime, ctx: Context) -> str:
    from babel.dates import format_datetime

    zone = ctx.extras.get("zone")
    return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=zone, locale=ctx.locale)
