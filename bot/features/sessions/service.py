"""Session rules: scheduling, RSVP, reminders, start notices, cancellation, personal data.

Each scheduled session has at most two persisted jobs, both for its current occurrence
(`next_at`): `session:<id>:remind` (private reminders to those who signed up) and
`session:<id>:start` (a notice in the room, then the next occurrence is armed). RSVPs are
per series: signing up once covers every occurrence until `session rsvp <id> --cancel`.

Missed while down: a reminder whose session already started is skipped (never late); one
that fell due while Haven was down but whose session has not started is sent once at
start-up. A start notice is posted late only while the session is still running.

Never twice: reminders are recorded (`session_reminder`), a batch of `FANOUT_CONCURRENCY`
at a time, *before* that batch is sent. A crash mid-fan-out therefore never resends to
anyone already recorded; the price is that the people of the batch in flight at the crash
may miss that reminder (at most once, by design). An interrupted fan-out is resumed at
start-up for the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from babel.dates import format_datetime, get_day_names

from bot.core.capabilities import Capability
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.conversion import parse_datetime
from bot.core.errors import UserError
from bot.core.i18n import Catalogues, Translator
from bot.core.personal_data import KeptData
from bot.core.ports import Clock
from bot.core.replies import Button, ButtonStyle, Reply
from bot.features.sessions.model import (
    DAILY,
    WEEKLY,
    Session,
    Status,
    first_occurrence,
    parse_every,
    parse_zone,
)
from bot.features.sessions.repository import Attendee, SessionRepository
from bot.scheduling.scheduler import Scheduler
from bot.storage.audit_repository import AuditRepository
from bot.storage.people_repository import PeopleRepository
from bot.storage.timestamps import from_text, to_text

log = logging.getLogger(__name__)

REMIND_JOB = "sessions.remind"
START_JOB = "sessions.start"
DEFAULT_LENGTH = timedelta(hours=1)
DEFAULT_REMIND = timedelta(minutes=30)
MAX_LENGTH = timedelta(hours=24)
MAX_REMIND = timedelta(days=7)
# How many private messages a fan-out has in flight at once (adapters rate-limit too).
FANOUT_CONCURRENCY = 8


def remind_job(session_id: int) -> str:
    """The scheduler id of a session's next reminder."""
    return f"session:{session_id}:remind"


def start_job(session_id: int) -> str:
    """The scheduler id of a session's next start."""
    return f"session:{session_id}:start"


class SessionService:
    """Sessions and their jobs; command handlers call these methods with their context."""

    name = "sessions"  # as a PersonalDataSource

    def __init__(
        self,
        repo: SessionRepository,
        people: PeopleRepository,
        audit: AuditRepository,
        scheduler: Scheduler,
        clock: Clock,
        zone: tzinfo,
        platform_for: Callable[[str], Any],
        catalogues: Catalogues,
        default_locale: str,
    ) -> None:
        self.repo = repo
        self.people = people
        self.audit = audit
        self.scheduler = scheduler
        self.clock = clock
        self.zone = zone
        self.platform_for = platform_for
        self.catalogues = catalogues
        self.default_locale = default_locale

    # -- lookups and checks --------------------------------------------------------------

    async def get(self, ctx: Context, session_id: int) -> Session:
        """A session of this platform, or a localised refusal."""
        found = await self.repo.get(session_id)
        if found is None or found.platform != ctx.room.platform:
            raise UserError("sessions.error.unknown", id=session_id)
        return found

    async def open_session(self, ctx: Context, session_id: int) -> Session:
        """A session that is still scheduled (not ended or cancelled)."""
        found = await self.get(ctx, session_id)
        if found.status is not Status.SCHEDULED:
            raise UserError("sessions.error.not_scheduled", id=session_id, title=found.title)
        return found

    async def check_cancel(self, ctx: Context, session: int) -> None:
        """Only the organiser or a youth worker may cancel, and only a scheduled session."""
        found = await self.open_session(ctx, session)
        if found.organiser != ctx.actor.person_id and not ctx.actor.can(Capability.RUN_EVENTS):
            raise UserError("sessions.error.not_organiser", id=session)

    # -- schedule ------------------------------------------------------------------------

    async def schedule(
        self,
        ctx: Context,
        *,
        title: str,
        when: str,
        every: str | None,
        room: RoomRef | None,
        length: timedelta | None,
        remind: timedelta | None,
        zone: str | None,
    ) -> Reply:
        """A new session (a series with `every`), announced with an RSVP button."""
        tz = parse_zone(zone, self.zone)  # type: ignore[arg-type]
        start = parse_datetime(when, tz, ctx.now).replace(second=0, microsecond=0)
        series = parse_every(every, start, tz)
        first = first_occurrence(series, start, tz)
        if first is None or first <= ctx.now:
            raise UserError("sessions.error.in_past")
        length = length or DEFAULT_LENGTH
        remind = remind or DEFAULT_REMIND
        if length > MAX_LENGTH:
            raise UserError("sessions.error.too_long")
        if remind > MAX_REMIND:
            raise UserError("sessions.error.remind_too_early")
        target = room or ctx.platform.room_for("sessions") or ctx.room
        session_id = await self.repo.create(
            platform=ctx.room.platform,
            room_id=target.room_id,
            title=title,
            organiser=ctx.actor.person_id,
            zone=tz.key,
            every=series,
            first_at=first,
            length=length,
            remind=remind,
            now=ctx.now,
        )
        await self.audit.record(ctx.now, ctx.actor.person_id, "sessions.schedule",
                                f"session:{session_id}", every=series or "")  # fmt: skip
        session = await self.repo.get(session_id)
        assert session is not None
        await self._arm(session, fresh=True)
        announcement = self.announcement(ctx.translator, session)
        if target.room_id == ctx.room.room_id:
            return announcement
        await ctx.platform.send(target, announcement)
        return Reply(
            ctx.t("sessions.announced_in", id=session_id, room=target.name or target.room_id)
        )

    def announcement(self, tr: Translator, session: Session) -> Reply:
        """The room post of a new session, with its RSVP button."""
        return Reply(
            tr.gettext(
                "sessions.announced",
                id=session.session_id,
                title=session.title,
                when=self.when(tr.locale, session, session.next_at),
                every=self.every_text(tr, session),
                length=_minutes(session.length),
            ),
            buttons=(
                Button(
                    tr.gettext("sessions.rsvp_button"),
                    f"session rsvp:{session.session_id}",
                    ButtonStyle.PRIMARY,
                    "🙋",
                    personal=False,
                ),
            ),
        )

    # -- jobs ----------------------------------------------------------------------------

    async def _arm(self, session: Session, *, fresh: bool) -> None:
        """Arm the current occurrence's reminder and start.

        A `fresh` session does not get a reminder whose time already passed (nobody could
        have signed up yet); a re-armed one does, so a reminder missed while Haven was
        down still goes out once, before the start.
        """
        sid, occurrence = session.session_id, session.next_at
        payload = {"session": sid, "at": to_text(occurrence)}
        now = self.clock.now()
        skip = (fresh and session.remind_at <= now) or session.reminded_for == occurrence
        if skip:
            await self.scheduler.cancel(remind_job(sid))
        else:
            await self.scheduler.schedule(remind_job(sid), REMIND_JOB, session.remind_at, payload)
        await self.scheduler.schedule(start_job(sid), START_JOB, occurrence, payload)

    async def _current(self, payload: dict[str, Any]) -> Session | None:
        """The job's session if it is still scheduled at the job's occurrence."""
        session = await self.repo.get(int(payload["session"]))
        if session is None or session.status is not Status.SCHEDULED:
            return None
        if session.next_at != from_text(payload["at"]):
            return None  # a stale job of an occurrence that has passed
        return session

    async def reminder_due(self, payload: dict[str, Any]) -> None:
        """Job: remind those who signed up, unless the session already started."""
        session = await self._current(payload)
        if session is None:
            return
        if self.clock.now() >= session.next_at:
            log.info("session %d: reminder skipped, the session started", session.session_id)
            return
        await self.fan_out(session)

    async def fan_out(self, session: Session) -> int:
        """Send the current occurrence's reminder to each attendee at most once."""
        occurrence = session.next_at
        try:
            platform = self.platform_for(session.platform)
        except LookupError:
            log.warning("session %d: %s is not running", session.session_id, session.platform)
            return 0
        already = await self.repo.reminded(session.session_id, occurrence)
        attendees = [
            a
            for a in await self.repo.attendees(session.session_id, session.platform)
            if a.person_id not in already
        ]
        texts: dict[str | None, str] = {}  # the same text for everyone of one language

        def text_for(language: str | None) -> str:
            if language not in texts:
                tr = self.translator(language)
                texts[language] = tr.gettext(
                    "sessions.reminder",
                    id=session.session_id,
                    title=session.title,
                    when=self.when(tr.locale, session, occurrence),
                    minutes=_minutes(occurrence - max(self.clock.now(), session.remind_at)),
                )
            return texts[language]

        async def remind(attendee: Attendee) -> bool:
            person = PersonRef(session.platform, attendee.user_id)
            reply = Reply(text_for(attendee.language), private=True)
            try:
                await platform.send_private(person, reply)
            except Exception:
                log.warning("session %d: a reminder could not be delivered",
                            session.session_id, exc_info=True)  # fmt: skip
                return False
            return True

        sent = 0
        for start in range(0, len(attendees), FANOUT_CONCURRENCY):
            batch = attendees[start : start + FANOUT_CONCURRENCY]
            # Recorded first: a crash after this never leads to a second reminder; it can
            # cost at most this batch's reminders that were still in flight.
            claimed = await self.repo.claim_reminders(
                session.session_id, occurrence, [a.person_id for a in batch], self.clock.now()
            )
            sent += sum(
                await asyncio.gather(*(remind(a) for a in batch if a.person_id in claimed))
            )
        await self.repo.set_reminded(session.session_id, occurrence)
        log.info("session %d: %d reminder(s) sent", session.session_id, sent)
        return sent

    async def started(self, payload: dict[str, Any]) -> None:
        """Job: announce the start in the room (if still running), then arm what follows."""
        session = await self._current(payload)
        if session is None:
            return
        occurrence = session.next_at
        # A timer may wake a few ms before the clock reads the start: trust the job's time.
        now = max(self.clock.now(), occurrence)
        if now < occurrence + session.length:
            tr = self.translator(None)
            text = tr.gettext(
                "sessions.starting",
                id=session.session_id,
                title=session.title,
                start=self.clock_time(session, occurrence),
                end=self.clock_time(session, occurrence + session.length),
            )
            try:
                platform = self.platform_for(session.platform)
                await platform.send(RoomRef(session.platform, session.room_id), Reply(text))
            except Exception:
                log.warning("session %d: start notice not posted", session.session_id,
                            exc_info=True)  # fmt: skip
        else:
            log.info("session %d: missed while down, no start notice", session.session_id)
        following = session.following(now)
        if following is None:
            await self.repo.end(session.session_id, Status.ENDED, occurrence + session.length)
            return
        if await self.repo.advance(session.session_id, occurrence, following):
            moved = await self.repo.get(session.session_id)
            assert moved is not None
            await self._arm(moved, fresh=False)

    async def reconcile(self) -> None:
        """At start: re-arm sessions whose jobs are missing; resume interrupted fan-outs."""
        pending = await self.scheduler.jobs.pending_ids("session:")
        armed = resumed = 0
        for session in await self.repo.scheduled():
            sid = session.session_id
            now = self.clock.now()
            if start_job(sid) not in pending:
                if session.next_at <= now:  # its start job ran but the session never moved on
                    await self.started({"session": sid, "at": to_text(session.next_at)})
                else:
                    await self._arm(session, fresh=False)
                armed += 1
            elif (
                session.remind_at <= now < session.next_at
                and session.reminded_for != session.next_at
                and remind_job(sid) not in pending
            ):
                await self.fan_out(session)  # claimed, then interrupted: finish the others
                resumed += 1
        if armed or resumed:
            log.info("sessions: %d re-armed, %d reminder fan-out(s) resumed", armed, resumed)

    # -- RSVP ----------------------------------------------------------------------------

    async def rsvp(self, ctx: Context, session_id: int, cancel: bool | None) -> Reply:
        """Sign up for a session's series (or withdraw with `cancel`)."""
        session = await self.open_session(ctx, session_id)
        person = ctx.actor.person_id
        if cancel:
            if not await self.repo.unrsvp(session_id, person):
                raise UserError("sessions.error.not_going", title=session.title)
            return Reply(ctx.t("sessions.rsvp.left", title=session.title), private=True)
        # Not audited: a member's sign-up is theirs to erase, and no case data is touched.
        if not await self.repo.rsvp(session_id, person, ctx.now):
            raise UserError("sessions.error.already_going", title=session.title)
        return Reply(
            ctx.t(
                "sessions.rsvp.done",
                id=session_id,
                title=session.title,
                when=self.when(ctx.locale, session, session.next_at),
                minutes=_minutes(session.remind),
            ),
            private=True,
        )

    # -- list, info ----------------------------------------------------------------------

    async def list(self, ctx: Context) -> Reply:
        """Upcoming sessions on this platform, in the reader's language."""
        sessions = await self.repo.upcoming(ctx.room.platform)
        if not sessions:
            return Reply(ctx.t("sessions.list.none"), private=True)
        counts = await self.repo.counts(ctx.room.platform)
        lines = [ctx.t("sessions.list.title")]
        for s in sessions:
            going = await self.repo.has_rsvp(s.session_id, ctx.actor.person_id)
            lines.append(
                ctx.t(
                    "sessions.list.going_line" if going else "sessions.list.line",
                    id=s.session_id,
                    title=s.title,
                    when=self.when(ctx.locale, s, s.next_at),
                    every=self.every_text(ctx.translator, s),
                    count=counts.get(s.session_id, 0),
                )
            )
        return Reply("\n".join(lines), private=True)

    async def info(self, ctx: Context, session_id: int) -> Reply:
        """One session: when, how often, how long, who organises, how many go."""
        s = await self.get(ctx, session_id)
        going = await self.repo.attendees(session_id, s.platform)
        lines = [
            ctx.t("sessions.info.title", id=s.session_id, title=s.title),
            ctx.t(f"sessions.info.status_{s.status.value}"),
        ]
        if s.status is Status.SCHEDULED:
            lines.append(ctx.t("sessions.info.next", when=self.when(ctx.locale, s, s.next_at)))
        lines += [
            ctx.t("sessions.info.every", every=self.every_text(ctx.translator, s)),
            ctx.t("sessions.info.length", minutes=_minutes(s.length)),
            ctx.t("sessions.info.remind", minutes=_minutes(s.remind)),
            ctx.t("sessions.info.going", count=len(going)),
        ]
        if any(a.person_id == ctx.actor.person_id for a in going):
            lines.append(ctx.t("sessions.info.you_go"))
        return Reply("\n".join(lines), private=True)

    # -- cancel --------------------------------------------------------------------------

    async def cancel(self, ctx: Context, session_id: int) -> Reply:
        """Cancel a session (after confirmation); those who signed up are told privately."""
        await self.check_cancel(ctx, session_id)
        session = await self.open_session(ctx, session_id)
        if not await self.repo.end(session_id, Status.CANCELLED, ctx.now):
            raise UserError("sessions.error.not_scheduled", id=session_id, title=session.title)
        await self.scheduler.cancel_prefix(f"session:{session_id}:")
        await self.audit.record(ctx.now, ctx.actor.person_id, "sessions.cancel",
                                f"session:{session_id}")  # fmt: skip
        attendees = await self.repo.attendees(session_id, session.platform)
        told = await self._tell_cancelled(ctx, session, attendees)
        if session.room_id != ctx.room.room_id:
            tr = self.translator(None)
            notice = tr.gettext("sessions.cancelled_notice", id=session_id, title=session.title)
            try:
                await ctx.platform.send(RoomRef(session.platform, session.room_id), Reply(notice))
            except Exception:
                log.warning("session %d: cancel notice not posted", session_id, exc_info=True)
        return Reply(ctx.t("sessions.cancel.done", title=session.title, count=told))

    async def _tell_cancelled(
        self, ctx: Context, session: Session, attendees: list[Attendee]
    ) -> int:
        gate = asyncio.Semaphore(FANOUT_CONCURRENCY)

        async def tell(attendee: Attendee) -> bool:
            async with gate:
                tr = self.translator(attendee.language)
                text = tr.gettext(
                    "sessions.cancelled_private",
                    id=session.session_id,
                    title=session.title,
                    when=self.when(tr.locale, session, session.next_at),
                )
                person = PersonRef(session.platform, attendee.user_id)
                try:
                    await ctx.platform.send_private(person, Reply(text, private=True))
                except Exception:
                    log.warning("session %d: a cancel notice could not be delivered",
                                session.session_id, exc_info=True)  # fmt: skip
                    return False
                return True

        return sum(await asyncio.gather(*(tell(a) for a in attendees)))

    # -- rendering -----------------------------------------------------------------------

    def translator(self, language: str | None) -> Translator:
        """A translator for a person's language (the default when they chose none)."""
        return self.catalogues.translator(language or self.default_locale)

    def when(self, locale: str, session: Session, moment: datetime) -> str:
        """A moment in the session's zone, in the reader's language (zone named if unusual)."""
        text = format_datetime(moment, "EEE d MMM HH:mm", tzinfo=session.tz, locale=locale)
        if session.zone != getattr(self.zone, "key", session.zone):
            text = f"{text} ({session.zone})"
        return text

    @staticmethod
    def clock_time(session: Session, moment: datetime) -> str:
        """`19:00` in the session's zone."""
        return moment.astimezone(session.tz).strftime("%H:%M")

    def every_text(self, tr: Translator, session: Session) -> str:
        """How often a session happens, in the reader's language."""
        local = session.first_at.astimezone(session.tz)
        time = local.strftime("%H:%M")
        if session.every is None:
            return tr.gettext("sessions.every.once")
        if session.every == WEEKLY:
            day = get_day_names("wide", locale=tr.locale)[local.weekday()]
            return tr.gettext("sessions.every.weekly", day=day, time=time)
        if session.every == DAILY:
            return tr.gettext("sessions.every.daily", time=time)
        return tr.gettext("sessions.every.cron", cron=session.every)

    # -- personal data -------------------------------------------------------------------

    async def export(self, person_id: str) -> dict[str, Any]:
        """The sessions a person signed up for, and those they organised."""
        return {
            "rsvps": [
                {
                    "session": r["session_id"],
                    "title": r["title"],
                    "next_at": r["next_at"],
                    "status": r["status"],
                    "signed_up_at": r["created_at"],
                }
                for r in await self.repo.rsvps_of(person_id)
            ],
            "organised": [
                {
                    "session": s.session_id,
                    "title": s.title,
                    "every": s.every,
                    "next_at": to_text(s.next_at),
                    "status": s.status.value,
                }
                for s in await self.repo.organised_by(person_id)
            ],
        }

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Delete the person's RSVPs and reminder records; their sessions stay, unlinked."""
        await self.repo.erase_person(person_id)
        return []


def _minutes(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 60), 0)
