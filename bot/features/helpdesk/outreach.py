"""Outreach: consent-based check-ins, opt-out, and which youth workers are available.

A check-in is an offer, never an obligation: the member accepts (a help room opens with
the worker) or declines, and a decline is respected for the configured period. Members
may opt out of check-ins altogether.
"""

from __future__ import annotations

from bot.core.context import Context, PersonRef
from bot.core.errors import UserError
from bot.core.replies import Button, ButtonStyle, Reply
from bot.features.helpdesk.config import HelpdeskSettings
from bot.features.helpdesk.messenger import when
from bot.features.helpdesk.repository import OutreachRepository
from bot.features.helpdesk.service import HelpdeskService
from bot.storage.audit_repository import AuditRepository


def first_name(label: str) -> str:
    """The first word of a display name (members see only first names)."""
    words = label.strip().split()
    return words[0] if words else "?"


class OutreachService:
    """Check-ins and worker availability."""

    def __init__(
        self,
        repo: OutreachRepository,
        helpdesk: HelpdeskService,
        audit: AuditRepository,
        settings: HelpdeskSettings,
    ) -> None:
        self.repo = repo
        self.helpdesk = helpdesk
        self.audit = audit
        self.settings = settings

    async def check_checkin(self, ctx: Context, member: PersonRef) -> str:
        """Refuse a check-in the member did not consent to; returns the member's person id."""
        people = self.helpdesk.messenger.people
        target = await people.ensure_person(member.platform, member.user_id)
        if target.person_id == ctx.actor.person_id:
            raise UserError("outreach.self")
        if await self.repo.opted_out(target.person_id):
            raise UserError("outreach.opted_out", name=member.label)
        last = await self.repo.last_checkin(target.person_id)
        if last is not None and last.answer is None:
            raise UserError("outreach.pending", name=member.label)
        declined = await self.repo.last_decline(target.person_id)
        if declined is not None and declined.answered_at is not None:
            until = declined.answered_at + self.settings.outreach.decline_period
            if ctx.now < until:
                zone = self.helpdesk.hours.zone
                raise UserError(
                    "outreach.declined_recently",
                    name=member.label,
                    until=when(until, ctx.locale, zone),
                )
        return target.person_id

    async def checkin(self, ctx: Context, member: PersonRef) -> Reply:
        """`outreach checkin`: offer a private conversation, with Accept / Decline."""
        member_id = await self.check_checkin(ctx, member)
        parent = self.helpdesk.parent_room(ctx.platform, ctx.room)
        checkin_id = await self.repo.add_checkin(
            platform=ctx.room.platform,
            origin_room_id=parent.room_id,
            worker_person_id=ctx.actor.person_id,
            worker_user_id=ctx.actor.identity.user_id,
            member_person_id=member_id,
            member_user_id=member.user_id,
            now=ctx.now,
        )
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "outreach.checkin", f"checkin{checkin_id}"
        )
        t = (await self.helpdesk.messenger.translator_for(member_id)).gettext
        offer = Reply(
            t("outreach.offer", worker=first_name(ctx.actor.identity.label)),
            buttons=(
                Button(
                    t("outreach.accept_button"),
                    f"outreach accept:{checkin_id}",
                    ButtonStyle.SUCCESS,
                    "💬",
                ),
                Button(
                    t("outreach.decline_button"),
                    f"outreach decline:{checkin_id}",
                    ButtonStyle.SECONDARY,
                    "🙅",
                ),
            ),
        )
        await ctx.platform.send_private(member, offer)
        return Reply(ctx.t("outreach.sent", name=member.label), private=True)

    async def _own(self, ctx: Context, checkin_id: int):  # type: ignore[no-untyped-def]
        found = await self.repo.checkin(checkin_id)
        if found is None or found.member_person_id != ctx.actor.person_id:
            raise UserError("outreach.unknown")
        if found.answer is not None:
            raise UserError("outreach.answered")
        return found

    async def accept(self, ctx: Context, checkin: int) -> Reply:
        """The member accepts: a help room opens with the worker who asked."""
        found = await self._own(ctx, checkin)
        if await self.helpdesk.repo.active_for(ctx.actor.person_id) is not None:
            raise UserError("outreach.already_in_help")
        if not await self.repo.answer(checkin, "accepted", ctx.now):
            raise UserError("outreach.answered")
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "outreach.accept", f"checkin{checkin}"
        )
        request_id = await self.helpdesk.open_for_member(
            platform_name=found.platform,
            member=PersonRef(
                found.platform, found.member_user_id, ctx.actor.identity.display_name
            ),
            member_person_id=found.member_person_id,
            worker=PersonRef(found.platform, found.worker_user_id),
            worker_person_id=found.worker_person_id,
            origin_room_id=found.origin_room_id,
            source="outreach",
            now=ctx.now,
        )
        if request_id is not None:
            await self.repo.set_request(checkin, request_id)
        return Reply(ctx.t("outreach.accepted"), private=True)

    async def decline(self, ctx: Context, checkin: int) -> Reply:
        """The member declines: remembered, and respected for the configured period."""
        found = await self._own(ctx, checkin)
        if not await self.repo.answer(checkin, "declined", ctx.now):
            raise UserError("outreach.answered")
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "outreach.decline", f"checkin{checkin}"
        )
        platform = self.helpdesk.messenger.running(found.platform)
        if platform is not None:
            t = (await self.helpdesk.messenger.translator_for(found.worker_person_id)).gettext
            await platform.send_private(
                PersonRef(found.platform, found.worker_user_id),
                Reply(t("outreach.declined_worker", name=first_name(ctx.actor.identity.label))),
            )
        return Reply(ctx.t("outreach.declined"), private=True)

    async def optout(self, ctx: Context) -> Reply:
        """The member wants no check-ins."""
        await self.repo.set_opt_out(ctx.actor.person_id, True, ctx.now)
        return Reply(ctx.t("outreach.opted_out_done"), private=True)

    async def optin(self, ctx: Context) -> Reply:
        """The member accepts check-ins again."""
        await self.repo.set_opt_out(ctx.actor.person_id, False, ctx.now)
        return Reply(ctx.t("outreach.opted_in_done"), private=True)

    async def available(self, ctx: Context) -> Reply:
        """A worker shows themselves as available (and takes waiting requests)."""
        await self.repo.set_available(
            ctx.actor.person_id,
            ctx.room.platform,
            ctx.actor.identity.user_id,
            first_name(ctx.actor.identity.label),
            ctx.now,
        )
        await self.audit.record(ctx.now, ctx.actor.person_id, "outreach.available", "availability")
        handed = await self.helpdesk.offer_queue(ctx.actor.person_id, ctx.room.platform)
        return Reply(ctx.t("outreach.available_done", count=handed), private=True)

    async def unavailable(self, ctx: Context) -> Reply:
        """A worker is no longer shown as available."""
        if not await self.repo.set_unavailable(ctx.actor.person_id, ctx.room.platform):
            raise UserError("outreach.not_available")
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "outreach.unavailable", "availability"
        )
        return Reply(ctx.t("outreach.unavailable_done"), private=True)

    async def who(self, ctx: Context) -> Reply:
        """Members see which workers are available (first names only)."""
        shown = await self.repo.available(ctx.room.platform)
        if not shown:
            return Reply(ctx.t("outreach.nobody"))
        names = ", ".join(dict.fromkeys(a.first_name for a in shown))
        return Reply(ctx.t("outreach.who", names=names))
