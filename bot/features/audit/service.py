"""Rules of the audit commands: read with filters (audited first), verify, purge, refusals."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.replies import Reply
from bot.features.audit.repository import AuditPeopleRepository
from bot.storage.audit_repository import AuditEvent, AuditQuery, AuditRepository, Breach

log = logging.getLogger(__name__)

MAX_LIMIT = 100
DETAIL_WIDTH = 160
GROUP = "audit"
_PERSON_ID = re.compile(r"^p_[0-9a-f]{16}$")
_DISCORD_MENTION = re.compile(r"^<@!?(\d+)>$")


class AuditService:
    """The coordinator's view of the audit trail, and the trail's retention."""

    def __init__(self, audit: AuditRepository, people: AuditPeopleRepository) -> None:
        self.audit = audit
        self.people = people

    async def chain_existing(self) -> None:
        """Chain entries written before the chain existed (once, at start)."""
        chained = await self.audit.ensure_chained()
        if chained:
            log.info("chained %d audit entries written before the hash chain", chained)

    # -- audit show ----------------------------------------------------------------------

    async def show(
        self,
        ctx: Context,
        *,
        actor: str | None,
        obj: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        before: int | None,
    ) -> Reply:
        """The newest entries matching the filters; the read is audited before it is shown."""
        if since is not None and until is not None and since >= until:
            raise await self._refused(ctx, "audit.bad_range")
        person = await self._resolve_actor(ctx, actor) if actor else None
        filters = {
            "actor": person, "object": obj, "since": since, "until": until, "limit": limit,
            "before": before,
        }  # fmt: skip
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "audit.read", "audit",
            **{k: v for k, v in filters.items() if v is not None},
        )  # fmt: skip
        query = AuditQuery(person, obj, since, until, before, min(limit, MAX_LIMIT))
        events, more = await self.audit.query(query)
        if not events:
            return Reply(ctx.t("audit.show.none"), private=True)
        zone = ctx.extras.get("zone")
        lines = [ctx.t("audit.show.header", count=len(events))]
        lines += [_line(e, zone) for e in events]
        if more:
            lines.append(ctx.t("audit.show.more", before=events[-1].seq))
        return Reply("\n".join(lines), private=True)

    async def _resolve_actor(self, ctx: Context, raw: str) -> str:
        """A person id from `p_…`, `system`, or an account on the invoker's platform."""
        text = raw.strip()
        if text == "system" or _PERSON_ID.match(text):
            return text
        mention = _DISCORD_MENTION.match(text)
        user_id = mention[1] if mention else text
        person = await self.people.person_for(ctx.room.platform, user_id)
        if person is None:
            raise await self._refused(ctx, "audit.unknown_actor", actor=text)
        return person

    # -- audit verify --------------------------------------------------------------------

    async def verify(self, ctx: Context) -> Reply:
        """Walk the chain; the result is audited, then shown."""
        result = await self.audit.verify()
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "audit.verify", "audit",
            ok=result.ok, count=result.count, seq=result.seq,
            breach=result.breach.value if result.breach else None,
        )  # fmt: skip
        if result.ok:
            if not result.count:
                return Reply(ctx.t("audit.verify.empty"), private=True)
            text = ctx.t(
                "audit.verify.ok", count=result.count, first=result.first, last=result.last,
                head=result.head,
            )  # fmt: skip
            return Reply(text, private=True)
        if result.breach is Breach.REORDERED and result.original is not None:
            text = ctx.t("audit.verify.moved", seq=result.seq, original=result.original)
        else:
            key = {
                Breach.EDITED: "audit.verify.edited",
                Breach.DELETED: "audit.verify.deleted",
                Breach.REORDERED: "audit.verify.reordered",
            }[result.breach or Breach.EDITED]
            text = ctx.t(key, seq=result.seq)
        intact = ctx.t("audit.verify.intact_before", count=result.count)
        return Reply(f"{text}\n{intact}", private=True)

    # -- refusals and retention ----------------------------------------------------------

    async def permission_refused(self, ctx: Context, args: Mapping[str, Any]) -> None:
        """The dispatcher refused an `audit` command for lack of capability: audit it."""
        if ctx.command.group == GROUP:
            await self._record_refusal(ctx, "error.no_permission")

    async def _refused(self, ctx: Context, key: str, **args: Any) -> UserError:
        """Audit a refusal of the handler, then hand back the error to raise."""
        await self._record_refusal(ctx, key)
        return UserError(key, **args)

    async def _record_refusal(self, ctx: Context, reason: str) -> None:
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "audit.refused", "audit",
            command=ctx.command.qualified_name, reason=reason,
        )  # fmt: skip

    async def purge(self, now: datetime, keep_for: Callable[[str], timedelta]) -> dict[str, int]:
        """The purge hook: remove entries past the audit retention, keeping the chain whole."""
        removed = await self.audit.purge_before(now - keep_for("audit"), now)
        return {"audit_event": removed}


def _line(event: AuditEvent, zone: Any) -> str:
    at = event.at.astimezone(zone) if zone is not None else event.at
    detail = json.dumps(event.detail, sort_keys=True, ensure_ascii=False, default=str)
    if len(detail) > DETAIL_WIDTH:
        detail = detail[: DETAIL_WIDTH - 1] + "…"
    extra = f" {detail}" if event.detail else ""
    return (
        f"#{event.seq} {at:%Y-%m-%d %H:%M:%S} {event.actor} {event.action} {event.object}{extra}"
    )
