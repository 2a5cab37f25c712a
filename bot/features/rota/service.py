"""The duty rota's rules: who is on duty, manual on-call, shifts and their start jobs.

`RotaService` implements `bot.core.duty.DutyRoster` for the help desk and the safety
escalation. Subscribers are told when someone comes on duty: at `oncall start`, when a
shift is set while it is already running, and at every scheduled shift start (a persisted
job per shift, re-armed for the next start after it fires, so it survives restarts and
never fires twice; a start missed while Haven was down fires once at start-up if the
shift is still running).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo
from typing import Any

from babel.dates import format_date, format_datetime, get_day_names

from bot.core.capabilities import Capability, Role
from bot.core.context import Actor, Context, PersonRef
from bot.core.duty import Duty, OnDuty, ShiftStarted
from bot.core.errors import UserError
from bot.core.personal_data import KeptData
from bot.core.ports import Clock
from bot.core.replies import Reply
from bot.features.rota.model import OnCall, Shift, parse_day, parse_time
from bot.features.rota.repository import RotaRepository
from bot.scheduling.scheduler import Scheduler
from bot.storage.audit_repository import AuditRepository
from bot.storage.people_repository import PeopleRepository
from bot.storage.timestamps import from_text, to_text

log = logging.getLogger(__name__)

JOB_KIND = "rota.shift_start"
DEFAULT_ONCALL = timedelta(hours=8)
MAX_ONCALL = timedelta(days=7)
# Which capability a person needs to take each duty.
DUTY_CAPABILITY = {
    Duty.MODERATOR: Capability.REVIEW_CONCERNS,
    Duty.YOUTH_WORKER: Capability.RUN_HELPDESK,
}


def job_id(shift_id: int) -> str:
    """The scheduler id of a shift's next start."""
    return f"rota:shift:{shift_id}"


def is_staff(actor: Actor) -> bool:
    """Youth workers, moderators and coordinators: anyone who can take some duty."""
    return any(actor.can(cap) for cap in DUTY_CAPABILITY.values())


def default_duty(actor: Actor) -> Duty:
    """The duty a person takes when they do not say: their moderator role comes first."""
    if Role.MODERATOR in actor.roles:
        return Duty.MODERATOR
    if Role.YOUTH_WORKER in actor.roles:
        return Duty.YOUTH_WORKER
    for duty, capability in DUTY_CAPABILITY.items():
        if actor.can(capability):
            return duty
    raise UserError("rota.error.staff_only")


class RotaService:
    """The duty roster (manual on-call plus scheduled shifts) and its commands' rules."""

    name = "rota"  # as a PersonalDataSource

    def __init__(
        self,
        repo: RotaRepository,
        people: PeopleRepository,
        audit: AuditRepository,
        scheduler: Scheduler,
        clock: Clock,
        zone: tzinfo,
    ) -> None:
        self.repo = repo
        self.people = people
        self.audit = audit
        self.scheduler = scheduler
        self.clock = clock
        self.zone = zone
        self._subscribers: list[ShiftStarted] = []

    # -- DutyRoster -----------------------------------------------------------------------

    async def on_duty(self, duty: Duty, at: datetime) -> OnDuty:
        """Who is on `duty` at `at`: manual on-call first (primary), then scheduled shifts."""
        primary: list[str] = [o.person_id for o in await self.repo.active_oncall(at, duty)]
        backup: list[str] = []
        running = [
            (window[0], shift)
            for shift in await self.repo.shifts(duty)
            if (window := shift.covering(at, self.zone)) is not None
        ]
        for _, shift in sorted(running, key=lambda item: (item[0], item[1].shift_id)):
            target = backup if shift.backup else primary
            if shift.person_id not in primary and shift.person_id not in target:
                target.append(shift.person_id)
        backup = [p for p in backup if p not in primary]
        return OnDuty(tuple(primary), tuple(backup))

    async def next_available(self, duty: Duty, after: datetime) -> datetime | None:
        """`after` when someone is on duty then, else the next shift start (None: none)."""
        if (await self.on_duty(duty, after)).anyone:
            return after
        starts = [
            start
            for shift in await self.repo.shifts(duty)
            if (start := shift.next_start(after, self.zone)) is not None
        ]
        return min(starts, default=None)

    def subscribe(self, callback: ShiftStarted) -> None:
        """Call `callback(duty, person_id)` whenever someone comes on duty."""
        self._subscribers.append(callback)

    async def _came_on_duty(self, duty: Duty, person_id: str) -> None:
        for callback in list(self._subscribers):
            try:
                await callback(duty, person_id)
            except Exception:
                log.exception("a rota subscriber failed (duty %s)", duty.value)

    # -- scheduled shift starts -----------------------------------------------------------

    async def _arm(self, shift: Shift, after: datetime) -> None:
        start = shift.next_start(after, self.zone)
        if start is None:
            await self.scheduler.cancel(job_id(shift.shift_id))
            return
        await self.scheduler.schedule(
            job_id(shift.shift_id),
            JOB_KIND,
            start,
            {"shift": shift.shift_id, "start": to_text(start)},
        )

    async def shift_started(self, payload: dict[str, Any]) -> None:
        """Job handler: tell subscribers if the shift is running, then arm its next start."""
        shift = await self.repo.shift(int(payload["shift"]))
        if shift is None:
            return
        # A timer may wake a few ms before the clock reads the start: trust the job's time.
        now = max(self.clock.now(), from_text(payload["start"]))
        if shift.covering(now, self.zone) is not None:
            log.info("shift %d started (%s)", shift.shift_id, shift.duty.value)
            await self._came_on_duty(shift.duty, shift.person_id)
        await self._arm(shift, now)

    async def reconcile(self) -> None:
        """At start: give every shift whose next-start job is missing one."""
        pending = {job.job_id for job in await self.scheduler.jobs.pending()}
        now = self.clock.now()
        armed = 0
        for shift in await self.repo.shifts():
            if job_id(shift.shift_id) not in pending:
                await self._arm(shift, now)
                armed += 1
        if armed:
            log.info("rota: armed %d shift start(s)", armed)

    # -- oncall commands ------------------------------------------------------------------

    async def check_staff(self, ctx: Context, **_: Any) -> None:
        """Refuse anyone who cannot take a duty (members, partners)."""
        if not is_staff(ctx.actor):
            raise UserError("rota.error.staff_only")

    async def check_oncall_start(
        self, ctx: Context, duty: str | None = None, length: timedelta | None = None
    ) -> None:
        """Staff only, and only a duty their roles allow, for at most a week."""
        await self.check_staff(ctx)
        chosen = Duty(duty) if duty else default_duty(ctx.actor)
        if not ctx.actor.can(DUTY_CAPABILITY[chosen]):
            raise UserError("rota.error.not_your_duty", duty=ctx.t(f"choice.duty.{chosen}"))
        if length is not None and length > MAX_ONCALL:
            raise UserError("rota.error.oncall_too_long")

    async def oncall_start(
        self, ctx: Context, duty: str | None, length: timedelta | None
    ) -> Reply:
        """Put the invoker on call now, until now + `length` (8 hours by default)."""
        await self.check_oncall_start(ctx, duty, length)
        chosen = Duty(duty) if duty else default_duty(ctx.actor)
        until = ctx.now + (length or DEFAULT_ONCALL)
        person = ctx.actor.person_id
        newly = await self.repo.start_oncall(person, chosen, ctx.now, until)
        await self.audit.record(
            ctx.now, person, "rota.oncall_start", f"rota:{chosen.value}", until=to_text(until)
        )
        if newly:
            await self._came_on_duty(chosen, person)
        return Reply(
            ctx.t(
                "rota.oncall.started",
                duty=ctx.t(f"choice.duty.{chosen}"),
                until=self.when(ctx, until),
            ),
            private=True,
        )

    async def oncall_stop(self, ctx: Context) -> Reply:
        """Take the invoker off every duty they are on call for."""
        left = await self.repo.stop_oncall(ctx.actor.person_id, ctx.now)
        if not left:
            raise UserError("rota.error.not_on_call")
        for duty in left:
            await self.audit.record(
                ctx.now, ctx.actor.person_id, "rota.oncall_stop", f"rota:{duty.value}"
            )
        return Reply(ctx.t("rota.oncall.stopped"), private=True)

    async def oncall_who(self, ctx: Context) -> Reply:
        """Who is on each duty now (primary and backup), else when someone next is."""
        lines = [ctx.t("rota.who.title")]
        for duty in Duty:
            name = ctx.t(f"choice.duty.{duty}")
            now = await self.on_duty(duty, ctx.now)
            if now.anyone:
                lines.append(
                    ctx.t("rota.who.line", duty=name, people=await self.labels(ctx, now.primary))
                )
                if now.backup:
                    people = await self.labels(ctx, now.backup)
                    lines.append(ctx.t("rota.who.backup", people=people))
                continue
            nxt = await self.next_available(duty, ctx.now)
            if nxt is None:
                lines.append(ctx.t("rota.who.nobody", duty=name))
            else:
                lines.append(ctx.t("rota.who.nobody_until", duty=name, at=self.when(ctx, nxt)))
        return Reply("\n".join(lines), private=True)

    # -- rota commands --------------------------------------------------------------------

    async def set_shift(
        self,
        ctx: Context,
        member: PersonRef,
        duty: str,
        day: str,
        starts: str,
        ends: str,
        backup: bool | None,
    ) -> Reply:
        """Add a weekly (weekday) or one-off (date) shift; bad input changes nothing."""
        weekday, on_date = parse_day(day)
        start_time, end_time = parse_time(starts), parse_time(ends)
        if start_time == end_time:
            raise UserError("rota.error.empty_shift")
        chosen = Duty(duty)
        draft = Shift(0, "", chosen, weekday, on_date, start_time, end_time, bool(backup))
        final_end = draft.final_end(self.zone)
        if final_end is not None and final_end <= ctx.now:
            raise UserError("rota.error.past_date", day=day)
        person = await self.people.ensure_person(member.platform, member.user_id)
        shift_id = await self.repo.add_shift(
            person_id=person.person_id,
            duty=chosen,
            weekday=weekday,
            on_date=on_date,
            starts=start_time,
            ends=end_time,
            backup=bool(backup),
            ends_at=final_end,
            created_by=ctx.actor.person_id,
            now=ctx.now,
        )
        shift = await self.repo.shift(shift_id)
        assert shift is not None
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "rota.shift_set", f"rota_shift:{shift_id}",
            person=person.person_id, duty=chosen.value, day=day, starts=starts, ends=ends,
            backup=bool(backup),
        )  # fmt: skip
        await self._arm(shift, ctx.now)
        if shift.covering(ctx.now, self.zone) is not None:
            await self._came_on_duty(chosen, person.person_id)
        return Reply(
            ctx.t("rota.set.done", shift=shift_id, line=await self.describe(ctx, shift)),
            private=True,
        )

    async def check_clear(self, ctx: Context, shift: int) -> None:
        """The shift must exist."""
        if await self.repo.shift(shift) is None:
            raise UserError("rota.error.no_shift", shift=shift)

    async def clear_shift(self, ctx: Context, shift: int) -> Reply:
        """Remove a shift and its start job."""
        if not await self.repo.delete_shift(shift):
            raise UserError("rota.error.no_shift", shift=shift)
        await self.scheduler.cancel(job_id(shift))
        await self.audit.record(ctx.now, ctx.actor.person_id, "rota.shift_clear",
                                f"rota_shift:{shift}")  # fmt: skip
        return Reply(ctx.t("rota.clear.done", shift=shift), private=True)

    async def show(self, ctx: Context, week: bool | None) -> Reply:
        """Every current shift, or (`week`) each shift start in the coming seven days."""
        shifts = [
            s
            for s in await self.repo.shifts()
            if (end := s.final_end(self.zone)) is None or end > ctx.now
        ]
        if not shifts:
            return Reply(ctx.t("rota.show.none"), private=True)
        if not week:
            lines = [ctx.t("rota.show.title")]
            lines += [await self.describe(ctx, s) for s in shifts]
            return Reply("\n".join(lines), private=True)
        today = ctx.now.astimezone(self.zone).date()
        occurrences = []
        for offset in range(7):
            day = today + timedelta(days=offset)
            for shift in shifts:
                if shift.occurs_on(day):
                    start, end = shift.window(day, self.zone)
                    if end > ctx.now:
                        occurrences.append((start, shift))
        occurrences.sort(key=lambda item: (item[0], item[1].shift_id))
        lines = [ctx.t("rota.show.week_title")]
        for start, shift in occurrences:
            lines.append(await self.describe(ctx, shift, start.astimezone(self.zone).date()))
        if not occurrences:
            lines.append(ctx.t("rota.show.none"))
        return Reply("\n".join(lines), private=True)

    # -- rendering ------------------------------------------------------------------------

    def when(self, ctx: Context, moment: datetime) -> str:
        """A moment in the configured zone, in the reader's language."""
        return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=self.zone, locale=ctx.locale)

    async def labels(self, ctx: Context, person_ids: tuple[str, ...]) -> str:
        """People as platform names (mentions that do not ping), comma-separated."""
        return ", ".join([await self.label(ctx, p) for p in person_ids])

    async def label(self, ctx: Context, person_id: str) -> str:
        """One person as the platform shows them (no ping: they are not in `mentions`)."""
        identities = await self.people.identities(person_id)
        for platform, user_id in identities:
            if platform == ctx.room.platform:
                return ctx.mention(PersonRef(platform, user_id))
        return identities[0][1] if identities else person_id

    async def describe(self, ctx: Context, shift: Shift, on: Any = None) -> str:
        """`#3 Monday 22:00-06:00 · Moderator · @ann (backup)` in the reader's language."""
        if on is not None:
            day = format_date(on, "EEEE d MMM", locale=ctx.locale)
        elif shift.weekday is not None:
            day = get_day_names("wide", locale=ctx.locale)[shift.weekday]
        else:
            day = format_date(shift.on_date, "EEEE d MMM y", locale=ctx.locale)
        key = "rota.shift.backup_line" if shift.backup else "rota.shift.line"
        return ctx.t(
            key,
            shift=shift.shift_id,
            day=day,
            starts=shift.starts.strftime("%H:%M"),
            ends=shift.ends.strftime("%H:%M"),
            duty=ctx.t(f"choice.duty.{shift.duty}"),
            person=await self.label(ctx, shift.person_id),
        )

    # -- personal data (staff data: nothing is kept) --------------------------------------

    async def export(self, person_id: str) -> dict[str, Any]:
        """The person's own shifts and on-call periods."""
        return {
            "shifts": [
                {
                    "shift": s.shift_id,
                    "duty": s.duty.value,
                    "weekday": s.weekday,
                    "date": s.on_date.isoformat() if s.on_date else None,
                    "starts": s.starts.strftime("%H:%M"),
                    "ends": s.ends.strftime("%H:%M"),
                    "backup": s.backup,
                }
                for s in await self.repo.shifts_of(person_id)
            ],
            "on_call": [_oncall_export(o) for o in await self.repo.oncall_of(person_id)],
        }

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Delete the person's shifts (and their start jobs) and on-call periods."""
        for shift_id in await self.repo.delete_shifts_of(person_id):
            await self.scheduler.cancel(job_id(shift_id))
        await self.repo.delete_oncall_of(person_id)
        return []


def _oncall_export(row: OnCall) -> dict[str, Any]:
    return {
        "duty": row.duty.value,
        "started_at": to_text(row.started_at),
        "ends_at": to_text(row.ends_at),
    }
