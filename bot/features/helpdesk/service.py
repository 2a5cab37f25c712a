"""Help-desk rules: ask a youth worker, the queue, claim, hand over, close, escalate.

A request is written before the member is answered. With a youth worker on duty (the
rota, `app.services["rota"]`) or shown as available (`outreach available`), a private
room opens at once; otherwise the request waits in the queue until a worker comes on duty
or claims it. Everything written in an open help room is stored as its transcript.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.core.capabilities import Role
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.detection import Severity
from bot.core.duty import Duty
from bot.core.errors import UserError
from bot.core.events import IncomingMessage
from bot.core.ports import Clock
from bot.core.replies import Reply
from bot.features.helpdesk.config import HelpdeskSettings, OfficeHours
from bot.features.helpdesk.directory import Directory
from bot.features.helpdesk.messenger import Messenger, when
from bot.features.helpdesk.model import OUTCOMES, HelpRequest, Status
from bot.features.helpdesk.repository import HelpdeskRepository, OutreachRepository
from bot.storage.audit_repository import AuditRepository

log = logging.getLogger(__name__)

EXCERPT = 80


def _object(request_id: int) -> str:
    return f"help{request_id}"


class HelpdeskService:
    """Runs the help desk; command handlers and platform events call these methods."""

    def __init__(
        self,
        repo: HelpdeskRepository,
        outreach: OutreachRepository,
        audit: AuditRepository,
        clock: Clock,
        messenger: Messenger,
        settings: HelpdeskSettings,
        hours: OfficeHours,
        directory: Directory,
        services: Mapping[str, Any],
    ) -> None:
        self.repo = repo
        self.outreach = outreach
        self.audit = audit
        self.clock = clock
        self.messenger = messenger
        self.settings = settings
        self.hours = hours
        self.directory = directory
        self.services = services
        self.open_rooms: set[tuple[str, str]] = set()  # recorded as transcripts
        self.help_rooms: set[tuple[str, str]] = set()  # every help room still kept
        self._subscribed = False

    # -- wiring --------------------------------------------------------------------------

    @property
    def roster(self) -> Any | None:
        """The duty rota (`DutyRoster`), when the rota feature runs."""
        return self.services.get("rota")

    async def started(self) -> None:
        """After start: know the open help rooms, and hear about shifts starting."""
        self.open_rooms = {
            (r.platform, r.room_id) for r in await self.repo.open_requests() if r.room_id
        }
        self.help_rooms = set(await self.repo.rooms())
        roster = self.roster
        if roster is not None and not self._subscribed:
            roster.subscribe(self.on_shift_started)
            self._subscribed = True

    # -- asking for help -----------------------------------------------------------------

    async def ask(self, ctx: Context, topic: str | None, message: str | None) -> Reply:
        """`helpme`: store the request, then hand it to a worker or queue it."""
        me = ctx.actor
        active = await self.repo.active_for(me.person_id)
        if active is not None:
            raise UserError("helpdesk.already_asked", id=active.request_id)
        request_id = await self.repo.create(
            platform=ctx.room.platform,
            person_id=me.person_id,
            user_id=me.identity.user_id,
            display_name=me.identity.display_name,
            origin_room_id=self.parent_room(ctx.platform, ctx.room).room_id,
            topic=topic or "other",
            first_message=(message or "").strip(),
            source="helpme",
            now=ctx.now,
        )
        await self.audit.record(ctx.now, me.person_id, "helpdesk.ask", _object(request_id))
        request = await self.repo.get(request_id)
        assert request is not None
        for worker_id, worker_user in await self.candidates(ctx.room.platform, ctx.now):
            if worker_id == me.person_id:
                continue
            try:
                room = await self.hand_over_to(request, worker_id, worker_user, ctx.now, "system")
            except Exception:
                # The request is saved either way: it waits in the queue instead.
                log.exception("opening a help room for request %d failed", request_id)
                break
            if room is not None:
                return Reply(ctx.t("helpdesk.opened", id=request_id), private=True)
        return Reply(await self.queued_text(ctx.t, ctx.locale, request_id, ctx.now), private=True)

    async def queued_text(
        self, t: Callable[..., str], locale: str, request_id: int, now: datetime
    ) -> str:
        """What a member is told when nobody can take their request now."""
        zone = self.hours.zone
        lines = []
        if self.hours.is_open(now):
            lines.append(t("helpdesk.queued_open", id=request_id))
        else:
            opening = self.hours.next_opening(now)
            lines.append(
                t("helpdesk.queued_closed", id=request_id, opens=when(opening, locale, zone))
                if opening is not None
                else t("helpdesk.queued_open", id=request_id)
            )
        roster = self.roster
        expected = None
        if roster is not None:
            expected = await roster.next_available(Duty.YOUTH_WORKER, now)
        if expected is not None:
            lines.append(t("helpdesk.expected", when=when(expected, locale, zone)))
        helplines = self.directory.helplines("crisis", locale)[:2]
        if helplines:
            numbers = ", ".join(
                f"{s.name} {s.contact.phone or s.contact.url or ''}".strip() for s in helplines
            )
            lines.append(t("helpdesk.meanwhile", helplines=numbers))
        return "\n".join(lines)

    # -- who can take a request ----------------------------------------------------------

    async def candidates(self, platform: str, now: datetime) -> list[tuple[str, str]]:
        """(person id, account) of workers who can take a request now, least busy first.

        On-duty youth workers from the rota (primary before backup), then workers shown
        as available; only those with an account on `platform`.
        """
        ordered: list[str] = []
        roster = self.roster
        if roster is not None:
            duty = await roster.on_duty(Duty.YOUTH_WORKER, now)
            ordered.extend([*duty.primary, *duty.backup])
        accounts: dict[str, str] = {}
        for person_id in ordered:
            user_id = await self.messenger.user_on(person_id, platform)
            if user_id is not None:
                accounts.setdefault(person_id, user_id)
        for shown in await self.outreach.available(platform):
            accounts.setdefault(shown.person_id, shown.user_id)
        load = await self.repo.open_load()
        rank = {pid: i for i, pid in enumerate(accounts)}
        best = sorted(accounts, key=lambda pid: (load.get(pid, 0), rank[pid]))
        return [(pid, accounts[pid]) for pid in best]

    async def is_worker_now(self, person_id: str, platform: str, now: datetime) -> bool:
        """True when the person is on duty or shown as available."""
        return any(pid == person_id for pid, _ in await self.candidates(platform, now))

    # -- handing a request to a worker ---------------------------------------------------

    def parent_room(self, platform: Any, room: RoomRef) -> RoomRef:
        """Where a private help thread hangs (Discord needs a parent text channel)."""
        # Discord threads need a parent text channel: the configured help-desk channel,
        # else the lobby, else where the member asked.
        return platform.room_for("helpdesk") or platform.room_for("lobby") or room

    async def hand_over_to(
        self,
        request: HelpRequest,
        worker_person_id: str,
        worker_user_id: str,
        now: datetime,
        actor: str,
    ) -> RoomRef | None:
        """Open the private room with member and worker; None if someone else was faster."""
        platform = self.messenger.running(request.platform)
        if platform is None:
            return None
        t = (await self.messenger.translator_for(request.person_id)).gettext
        member = PersonRef(request.platform, request.user_id, request.display_name)
        worker = PersonRef(request.platform, worker_user_id)
        room = await platform.space_admin.open_private_room(
            t("helpdesk.room_name", id=request.request_id),
            [member, worker],
            parent=RoomRef(request.platform, request.origin_room_id),
        )
        if not await self.repo.assign(
            request.request_id, worker_person_id, worker_user_id, room.room_id, now
        ):
            log.warning("help request %d was taken meanwhile; room left empty", request.request_id)
            return None
        self.open_rooms.add((request.platform, room.room_id))
        self.help_rooms.add((request.platform, room.room_id))
        await self.audit.record(
            now, actor, "helpdesk.claim", _object(request.request_id), worker=worker_person_id
        )
        welcome = [
            t(
                "helpdesk.room_welcome",
                member=platform.mention(member),
                worker=platform.mention(worker),
                topic=t(f"choice.subject.{request.topic}"),
            )
        ]
        if request.first_message:
            welcome.append(t("helpdesk.room_first_message", text=request.first_message))
        welcome.append(t("helpdesk.room_privacy"))
        await platform.send(room, Reply("\n".join(welcome), mentions=(member, worker)))
        return room

    async def on_shift_started(self, duty: Duty, person_id: str) -> None:
        """A youth worker came on duty: hand them the oldest waiting requests."""
        if duty is not Duty.YOUTH_WORKER:
            return
        try:
            await self.offer_queue(person_id)
        except Exception:
            log.exception("handing queued help requests to a worker failed")

    async def offer_queue(self, person_id: str, platform_name: str | None = None) -> int:
        """Give up to `assign_on_shift_start` waiting requests to a worker; returns how many."""
        now = self.clock.now()
        handed = 0
        for name, user_id in await self.messenger.people.identities(person_id):
            if platform_name is not None and name != platform_name:
                continue
            platform = self.messenger.running(name)
            if platform is None:
                continue
            waiting = [r for r in await self.repo.queued(name) if r.person_id != person_id]
            for request in waiting[: self.settings.assign_on_shift_start - handed]:
                try:
                    if await self.hand_over_to(request, person_id, user_id, now, "system"):
                        handed += 1
                except Exception:
                    log.exception("handing request %d over failed", request.request_id)
            left = len(await self.repo.queued(name))
            if left:
                t = (await self.messenger.translator_for(person_id)).gettext
                await platform.send_private(
                    PersonRef(name, user_id), Reply(t("helpdesk.still_waiting", count=left))
                )
        return handed

    # -- worker commands -----------------------------------------------------------------

    async def get(self, ctx: Context, request_id: int) -> HelpRequest:
        """The request, or a localised refusal."""
        found = await self.repo.get(request_id)
        if found is None or found.platform != ctx.room.platform:
            raise UserError("helpdesk.unknown", id=request_id)
        return found

    async def queue(self, ctx: Context) -> Reply:
        """`helpdesk queue`: waiting requests, oldest first."""
        waiting = await self.repo.queued(ctx.room.platform)
        if not waiting:
            return Reply(ctx.t("helpdesk.queue_empty"), private=True)
        lines = [ctx.t("helpdesk.queue_title", count=len(waiting))]
        zone = self.hours.zone
        for r in waiting:
            excerpt = r.first_message[:EXCERPT] + ("…" if len(r.first_message) > EXCERPT else "")
            lines.append(
                ctx.t(
                    "helpdesk.queue_line",
                    id=r.request_id,
                    topic=ctx.t(f"choice.subject.{r.topic}"),
                    since=when(r.created_at, ctx.locale, zone),
                    excerpt=excerpt or "—",
                )
            )
        return Reply("\n".join(lines), private=True)

    async def claim(self, ctx: Context, request_id: int) -> Reply:
        """`helpdesk claim`: take a waiting request."""
        request = await self.get(ctx, request_id)
        if request.status is Status.CLOSED:
            raise UserError("helpdesk.closed", id=request_id)
        if request.status is Status.OPEN:
            raise UserError("helpdesk.already_claimed", id=request_id)
        if request.person_id == ctx.actor.person_id:
            raise UserError("helpdesk.own_request")
        room = await self.hand_over_to(
            request, ctx.actor.person_id, ctx.actor.identity.user_id, ctx.now, ctx.actor.person_id
        )
        if room is None:
            raise UserError("helpdesk.already_claimed", id=request_id)
        return Reply(ctx.t("helpdesk.claimed", id=request_id), private=True)

    def _may_act(self, ctx: Context, request: HelpRequest) -> None:
        if request.worker_person_id in (None, ctx.actor.person_id):
            return
        if Role.COORDINATOR in ctx.actor.roles:
            return
        raise UserError("helpdesk.not_yours", id=request.request_id)

    async def check_handover(
        self, ctx: Context, request_id: int, member: PersonRef, note: str
    ) -> HelpRequest:
        """Refuse a hand-over that cannot happen (changes nothing)."""
        request = await self.get(ctx, request_id)
        if request.status is not Status.OPEN:
            raise UserError("helpdesk.not_open", id=request_id)
        self._may_act(ctx, request)
        target = await self.messenger.people.ensure_person(member.platform, member.user_id)
        if target.person_id in (ctx.actor.person_id, request.worker_person_id):
            raise UserError("helpdesk.handover_self")
        if target.person_id == request.person_id:
            raise UserError("helpdesk.handover_member")
        if not await self.is_worker_now(target.person_id, member.platform, ctx.now):
            raise UserError("helpdesk.handover_not_worker", name=member.label)
        return request

    async def handover(self, ctx: Context, request_id: int, member: PersonRef, note: str) -> Reply:
        """`helpdesk handover`: another worker takes over; the note reaches them privately."""
        request = await self.check_handover(ctx, request_id, member, note)
        target = await self.messenger.people.ensure_person(member.platform, member.user_id)
        await self.repo.hand_over(
            request_id, ctx.actor.person_id, target.person_id, member.user_id, note, ctx.now
        )
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "helpdesk.handover", _object(request_id),
            to=target.person_id,
        )  # fmt: skip
        room = RoomRef(request.platform, request.room_id or "")
        await ctx.platform.space_admin.add_member(room, member)
        worker_t = (await self.messenger.translator_for(target.person_id)).gettext
        await ctx.platform.send_private(
            member,
            Reply(
                worker_t(
                    "helpdesk.handover_note",
                    id=request_id,
                    sender=ctx.actor.identity.label,
                    note=note,
                )
            ),
        )
        member_t = (await self.messenger.translator_for(request.person_id)).gettext
        await ctx.platform.send(
            room,
            Reply(
                member_t("helpdesk.room_handover", worker=ctx.mention(member)), mentions=(member,)
            ),
        )
        return Reply(ctx.t("helpdesk.handed_over", id=request_id, name=member.label), private=True)

    async def check_close(self, ctx: Context, request_id: int, outcome: str) -> None:
        """Refuse closing what cannot be closed (before the confirmation)."""
        request = await self.get(ctx, request_id)
        if request.status is Status.CLOSED:
            raise UserError("helpdesk.closed", id=request_id)
        if outcome not in OUTCOMES:
            raise UserError("helpdesk.bad_outcome", outcome=outcome)
        self._may_act(ctx, request)

    async def close(self, ctx: Context, request_id: int, outcome: str) -> Reply:
        """`helpdesk close`: end the conversation with an outcome."""
        request = await self.get(ctx, request_id)
        await self.repo.close(request_id, outcome, ctx.now)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "helpdesk.close", _object(request_id), outcome=outcome
        )
        if request.room_id:
            self.open_rooms.discard((request.platform, request.room_id))
            member_t = (await self.messenger.translator_for(request.person_id)).gettext
            await ctx.platform.send(
                RoomRef(request.platform, request.room_id), Reply(member_t("helpdesk.room_closed"))
            )
        return Reply(
            ctx.t(
                "helpdesk.closed_done", id=request_id, outcome=ctx.t(f"choice.result.{outcome}")
            ),
            private=True,
        )

    async def escalate(self, ctx: Context, request_id: int, reason: str, severity: str) -> Reply:
        """`helpdesk escalate`: raise a concern for a moderator through the safety pipeline."""
        request = await self.get(ctx, request_id)
        safety = self.services.get("safety")
        if safety is None:
            raise UserError("helpdesk.safety_unavailable")
        if request.escalated_at is not None:
            raise UserError("helpdesk.already_escalated", id=request_id)
        self._may_act(ctx, request)
        lines = await self.repo.transcript(request_id)
        link = next((x.link for x in reversed(lines) if x.by_member and x.link), None)
        concern = await safety.raise_concern(
            source="helpdesk",
            subject_person_id=request.person_id,
            excerpt=reason,
            severity=Severity(severity),
            link=link,
            raised_by=ctx.actor.person_id,
        )
        ref = str(getattr(concern, "concern_id", concern))
        await self.repo.mark_escalated(request_id, ref, ctx.now)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "helpdesk.escalate", _object(request_id),
            concern=ref, severity=severity,
        )  # fmt: skip
        return Reply(ctx.t("helpdesk.escalated", id=request_id), private=True)

    # -- the transcript ------------------------------------------------------------------

    async def purpose_of(self, room: RoomRef) -> str | None:
        """`helpdesk` for help rooms: not a screened room, whatever the detector screens."""
        return "helpdesk" if (room.platform, room.room_id) in self.help_rooms else None

    def forget_room(self, platform: str, room_id: str) -> None:
        """A help room's request was erased or purged."""
        self.open_rooms.discard((platform, room_id))
        self.help_rooms.discard((platform, room_id))

    async def observe(self, event: IncomingMessage) -> None:
        """Store what is written in an open help room (other messages are ignored)."""
        if (event.room.platform, event.room.room_id) not in self.open_rooms:
            return
        request = await self.repo.by_room(event.room.platform, event.room.room_id)
        if request is None:
            return
        author = await self.messenger.people.ensure_person(
            event.author.platform, event.author.user_id
        )
        await self.repo.add_line(
            request.request_id,
            event.message.message_id,
            author.person_id,
            author.person_id == request.person_id,
            event.text,
            event.message.link,
            event.at,
        )

    # -- member-facing helpers -----------------------------------------------------------

    async def open_for_member(
        self,
        *,
        platform_name: str,
        member: PersonRef,
        member_person_id: str,
        worker: PersonRef,
        worker_person_id: str,
        origin_room_id: str,
        source: str,
        now: datetime,
    ) -> int | None:
        """A help request opened directly with a worker (an accepted check-in)."""
        request_id = await self.repo.create(
            platform=platform_name,
            person_id=member_person_id,
            user_id=member.user_id,
            display_name=member.display_name,
            origin_room_id=origin_room_id,
            topic="other",
            first_message="",
            source=source,
            now=now,
        )
        request = await self.repo.get(request_id)
        assert request is not None
        room = await self.hand_over_to(request, worker_person_id, worker.user_id, now, "system")
        return request_id if room is not None else None
