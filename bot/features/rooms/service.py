"""Discussion-room rules: open, accept the house rules, ask anonymously, slow mode, close.

Every change is stored (and audited) before anyone is told. Rooms are made and locked
through the platform's `SpaceAdmin` port, so writing is refused by the platform itself
until a member accepted the rules. Texts posted in a room use the space's default
language, so an anonymous question does not hint at its asker's language choice.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core.capabilities import Capability
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.errors import UserError
from bot.core.events import IncomingMessage
from bot.core.i18n import Catalogues, Translator
from bot.core.ports import Clock
from bot.core.replies import Button, ButtonStyle, Reply
from bot.features.rooms.repository import DiscussionRoom, RoomRepository
from bot.scheduling.scheduler import Scheduler
from bot.storage.audit_repository import AuditRepository

log = logging.getLogger(__name__)

AUTOCLOSE = "rooms.autoclose"
PURPOSE = "discussion"
DATA_CLASS = "discussion_rooms"
MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(days=90)
MAX_SLOWMODE = 21600  # Discord's limit, used on both platforms

TranslatorFor = Callable[[PersonRef], Awaitable[Translator]]


class RoomService:
    """Runs discussion rooms; handlers, jobs, observers and the purge call in here."""

    def __init__(
        self,
        repo: RoomRepository,
        audit: AuditRepository,
        scheduler: Scheduler,
        clock: Clock,
        platform_for: Callable[[str], Any],
        catalogues: Catalogues,
        default_locale: str,
        zone: Any,
        translator_for: TranslatorFor | None = None,
    ) -> None:
        self.repo = repo
        self.audit = audit
        self.scheduler = scheduler
        self.clock = clock
        self.platform_for = platform_for
        self.catalogues = catalogues
        self.default_locale = default_locale
        self.zone = zone
        self.translator_for = translator_for
        # Slow mode Haven enforces itself (Matrix): last accepted message per person.
        self._last_message: dict[tuple[int, str], datetime] = {}
        scheduler.register(AUTOCLOSE, self._job_autoclose)

    # -- helpers -------------------------------------------------------------------------

    def room_translator(self) -> Translator:
        """Texts posted in a room: the space's default language."""
        return self.catalogues.translator(self.default_locale)

    @staticmethod
    def ref(room: DiscussionRoom) -> RoomRef:
        """The platform room of a discussion room."""
        assert room.platform_room_id is not None
        return RoomRef(room.platform, room.platform_room_id, room.topic)

    @staticmethod
    def facilitator(room: DiscussionRoom) -> PersonRef:
        """The facilitator as a platform identity (for mentions)."""
        return PersonRef(room.platform, room.facilitator_user_id, room.facilitator_name)

    def _when(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    @staticmethod
    def _admin(platform: Any) -> Any:
        admin = getattr(platform, "space_admin", None)
        if admin is None:
            raise UserError("rooms.unsupported")
        return admin

    async def resolve(self, ctx: Context, room_id: int | None) -> DiscussionRoom:
        """The room named by id, else the discussion room the command was given in."""
        if room_id is not None:
            found = await self.repo.get(room_id)
            if found is None or found.platform != ctx.room.platform:
                raise UserError("rooms.unknown", id=room_id)
            return found
        here = await self.repo.by_platform_room(ctx.room.platform, ctx.room.room_id)
        if here is None:
            raise UserError("rooms.which_room")
        return here

    @staticmethod
    def must_be_open(room: DiscussionRoom) -> None:
        """Refuse when the room is closed."""
        if not room.is_open:
            raise UserError("rooms.closed", id=room.room_id, topic=room.topic)

    @staticmethod
    def must_manage(ctx: Context, room: DiscussionRoom) -> None:
        """Only the facilitator or a youth worker (RUN_ROOMS) may steer a room."""
        if ctx.actor.person_id != room.facilitator and not ctx.actor.can(Capability.RUN_ROOMS):
            raise UserError("rooms.not_facilitator", id=room.room_id)

    # -- open ----------------------------------------------------------------------------

    async def open(
        self, ctx: Context, *, topic: str, duration: timedelta | None, rules: str | None
    ) -> Reply:
        """Create the room on the platform, post the welcome and the rules to accept."""
        if duration is not None and not MIN_DURATION <= duration <= MAX_DURATION:
            raise UserError(
                "rooms.bad_duration",
                minimum=int(MIN_DURATION.total_seconds() // 60),
                days=MAX_DURATION.days,
            )
        topic = topic.strip()
        if not topic:
            raise UserError("rooms.empty_topic")
        admin = self._admin(ctx.platform)
        speak = self.room_translator()
        rules_text = (rules or "").strip() or speak.gettext("rooms.default_rules")
        closes_at = ctx.now + duration if duration is not None else None
        room_id = await self.repo.create(
            platform=ctx.room.platform,
            topic=topic,
            rules=rules_text,
            facilitator=ctx.actor.person_id,
            facilitator_user_id=ctx.actor.identity.user_id,
            facilitator_name=ctx.actor.identity.label,
            closes_at=closes_at,
            now=ctx.now,
        )
        parent = ctx.platform.room_for(PURPOSE) or ctx.room
        try:
            made = await admin.open_public_room(topic, topic, parent)
        except Exception:
            await self.repo.delete(room_id)
            raise
        await self.repo.set_platform_room(room_id, made.room_id)
        await self.audit.record(ctx.now, ctx.actor.person_id, "room.open", f"room{room_id}")
        if closes_at is not None:
            await self.scheduler.schedule(
                f"room{room_id}:autoclose", AUTOCLOSE, closes_at, {"id": room_id}
            )
        await admin.set_can_write(made, ctx.actor.identity, True)
        until = (
            speak.gettext("rooms.until", when=self._when(closes_at))
            if closes_at
            else speak.gettext("rooms.no_end")
        )
        welcome = speak.gettext(
            "rooms.welcome",
            id=room_id,
            topic=topic,
            facilitator=ctx.mention(ctx.actor.identity),
            until=until,
        )
        await ctx.platform.send(made, Reply(welcome, mentions=(ctx.actor.identity,)))
        accept = Button(
            speak.gettext("rooms.accept_button"),
            f"room accept:{room_id}",
            ButtonStyle.PRIMARY,
            "✅",
            personal=False,
        )
        rules_post = speak.gettext("rooms.rules_post", rules=rules_text)
        await ctx.platform.send(made, Reply(rules_post, buttons=(accept,)))
        return Reply(
            ctx.t("rooms.opened", id=room_id, topic=topic, room=made.name or made.room_id)
        )

    # -- accept --------------------------------------------------------------------------

    async def accept(self, ctx: Context, room_id: int) -> Reply:
        """Record the member's acceptance, then let them write (idempotent repair)."""
        room = await self.resolve(ctx, room_id)
        self.must_be_open(room)
        admin = self._admin(ctx.platform)
        fresh = await self.repo.accept(
            room.room_id, ctx.actor.person_id, ctx.actor.identity.user_id, ctx.now
        )
        # Also when already accepted: repairs a permission a failed earlier call left out.
        await admin.set_can_write(self.ref(room), ctx.actor.identity, True)
        key = "rooms.accepted" if fresh else "rooms.already_accepted"
        return Reply(ctx.t(key, topic=room.topic), private=True)

    # -- anonymous questions -------------------------------------------------------------

    async def ask(self, ctx: Context, question: str, room_id: int | None) -> Reply:
        """Post a question in the room without its asker; only the audit knows who."""
        room = await self.resolve(ctx, room_id)
        self.must_be_open(room)
        question = question.strip()
        if not question:
            raise UserError("rooms.empty_question")
        staff = ctx.actor.person_id == room.facilitator or ctx.actor.can(Capability.RUN_ROOMS)
        if not staff and not await self.repo.has_accepted(room.room_id, ctx.actor.person_id):
            raise UserError("rooms.accept_first", id=room.room_id, topic=room.topic)
        await self.audit.record(ctx.now, ctx.actor.person_id, "room.ask", f"room{room.room_id}")
        text = self.room_translator().gettext("rooms.anonymous_question", question=question)
        await ctx.platform.send(self.ref(room), Reply(text))
        return Reply(ctx.t("rooms.question_posted", topic=room.topic), private=True)

    # -- slow mode -----------------------------------------------------------------------

    async def slowmode(self, ctx: Context, seconds: int, room_id: int | None) -> Reply:
        """Set the minimum time between one member's messages (0 switches it off)."""
        room = await self.resolve(ctx, room_id)
        self.must_be_open(room)
        self.must_manage(ctx, room)
        if not 0 <= seconds <= MAX_SLOWMODE:
            raise UserError("rooms.bad_slowmode", maximum=MAX_SLOWMODE)
        admin = self._admin(ctx.platform)
        by_platform = await admin.set_slow_mode(self.ref(room), seconds)
        await self.repo.set_slowmode(room.room_id, seconds, by_haven=not by_platform)
        self._forget_messages(room.room_id)
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "room.slowmode", f"room{room.room_id}", seconds=seconds
        )
        speak = self.room_translator()
        notice = (
            speak.gettext("rooms.slowmode_on", seconds=seconds)
            if seconds
            else speak.gettext("rooms.slowmode_off")
        )
        await ctx.platform.send(self.ref(room), Reply(notice))
        return Reply(ctx.t("rooms.slowmode_set", topic=room.topic, seconds=seconds))

    def _forget_messages(self, room_id: int) -> None:
        for key in [k for k in self._last_message if k[0] == room_id]:
            del self._last_message[key]

    async def observe(self, event: IncomingMessage) -> None:
        """Slow mode where the platform has none: too-early messages are removed."""
        room = await self.repo.by_platform_room(event.room.platform, event.room.room_id)
        if room is None or not room.is_open or not room.slowmode_by_haven:
            return
        if room.slowmode_seconds <= 0 or event.author.user_id == room.facilitator_user_id:
            return
        key = (room.room_id, event.author.user_id)
        last = self._last_message.get(key)
        wait = timedelta(seconds=room.slowmode_seconds)
        if last is not None and event.at - last < wait:
            platform = self.platform_for(room.platform)
            await platform.moderation.remove_message(event.message, "slow mode")
            remaining = max(math.ceil((last + wait - event.at).total_seconds()), 1)
            translator = (
                await self.translator_for(event.author)
                if self.translator_for is not None
                else self.room_translator()
            )
            text = translator.gettext("rooms.slowmode_wait", topic=room.topic, seconds=remaining)
            await platform.send_private(event.author, Reply(text))
            return
        self._last_message[key] = event.at

    # -- close ---------------------------------------------------------------------------

    async def check_close(self, ctx: Context, room_id: int | None) -> None:
        """Refusals for `room close`, before the confirmation."""
        room = await self.resolve(ctx, room_id)
        self.must_be_open(room)
        self.must_manage(ctx, room)

    async def close(self, ctx: Context, room_id: int | None) -> Reply:
        """Archive the room: closed in storage first, then nobody may write."""
        room = await self.resolve(ctx, room_id)
        self.must_be_open(room)
        self.must_manage(ctx, room)
        await self._close(room, ctx.actor.person_id, ctx.now, ctx.platform)
        return Reply(ctx.t("rooms.closed_done", id=room.room_id, topic=room.topic))

    async def _close(self, room: DiscussionRoom, actor: str, now: datetime, platform: Any) -> bool:
        if not await self.repo.close(room.room_id, now):
            return False
        await self.scheduler.cancel(f"room{room.room_id}:autoclose")
        self._forget_messages(room.room_id)
        await self.audit.record(now, actor, "room.close", f"room{room.room_id}")
        admin = self._admin(platform)
        await admin.archive_room(self.ref(room), "discussion room closed")
        note = self.room_translator().gettext("rooms.closing_note", topic=room.topic)
        await platform.send(self.ref(room), Reply(note))
        return True

    async def _job_autoclose(self, payload: dict[str, Any]) -> None:
        room = await self.repo.get(int(payload["id"]))
        if room is None or not room.is_open:
            return
        try:
            platform = self.platform_for(room.platform)
        except LookupError:
            log.warning("room %s not closed: %s is not running", room.room_id, room.platform)
            return
        await self._close(room, "system", self.clock.now(), platform)

    # -- list ----------------------------------------------------------------------------

    async def list(self, ctx: Context) -> Reply:
        """Open rooms: id, topic, facilitator, end."""
        rooms = await self.repo.open_rooms(ctx.room.platform)
        if not rooms:
            return Reply(ctx.t("rooms.none_open"))
        lines = [ctx.t("rooms.list_header")]
        for room in rooms:
            until = (
                ctx.t("rooms.until", when=self._when(room.closes_at))
                if room.closes_at
                else ctx.t("rooms.no_end")
            )
            lines.append(
                ctx.t(
                    "rooms.list_line",
                    id=room.room_id,
                    topic=room.topic,
                    facilitator=room.facilitator_name or room.facilitator_user_id,
                    until=until,
                )
            )
        return Reply("\n".join(lines))

    # -- privacy -------------------------------------------------------------------------

    async def purpose(self, room: RoomRef) -> str | None:
        """`discussion` for a discussion room (so the framework screens it)."""
        found = await self.repo.by_platform_room(room.platform, room.room_id)
        return PURPOSE if found is not None else None

    async def purge(self, now: datetime, keep_for: Callable[[str], timedelta]) -> dict[str, int]:
        """Rooms closed longer ago than retention: closed for good on the platform, deleted."""
        expired = await self.repo.expired(now - keep_for(DATA_CLASS))
        gone = 0
        for room in expired:
            if room.platform_room_id is not None:
                try:
                    admin = self.platform_for(room.platform).space_admin
                except LookupError:
                    log.warning("room %s kept: %s is not running", room.room_id, room.platform)
                    continue  # keep the rows so a later purge closes the room
                await admin.close_room(self.ref(room), "retention")
            await self.repo.delete(room.room_id)
            gone += 1
        return {"discussion_room": gone}
