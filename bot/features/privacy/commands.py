"""`privacy`, `mydata export` and `mydata erase`: every member sees and erases their data."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta, tzinfo

from bot.core.commands import Command
from bot.core.context import Context
from bot.core.personal_data import KeptData
from bot.core.replies import Attachment, Reply
from bot.features.privacy.mydata import MyData
from bot.features.privacy.notice import NoticeService

EXPORT_FILENAME = "haven-my-data.json"


def kept_lines(
    ctx: Context, kept: list[KeptData], keep_for: Callable[[str], timedelta], zone: tzinfo
) -> list[str]:
    """One line per kept item: what, why, and until when (a date, or the retention)."""
    lines = []
    for item in kept:
        what = ctx.t(item.what_key, **item.args)
        why = ctx.t(item.why_key, **item.args)
        if item.until is not None:
            until = item.until.astimezone(zone).date().isoformat()
            lines.append(ctx.t("privacy.kept.line", what=what, why=why, until=until))
        else:
            days = keep_for(item.data_class).days
            lines.append(ctx.t("privacy.kept.line_open", what=what, why=why, days=days))
    return lines


def declare(
    mydata: MyData,
    notices: NoticeService,
    keep_for: Callable[[str], timedelta],
    zone: tzinfo,
) -> list[Command]:
    """The privacy commands."""

    async def privacy(ctx: Context) -> Reply:
        text = notices.text(ctx.locale, ctx.translator, ctx.platform)
        return Reply(f"{ctx.t('privacy.notice.title')}\n{text}", private=True)

    async def export(ctx: Context) -> Reply:
        data = await mydata.export(ctx.actor.person_id, ctx.now)
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        description = ctx.t("privacy.export.file")
        attachment = Attachment(EXPORT_FILENAME, body, "application/json", description)
        await ctx.platform.send_private(
            ctx.actor.identity, Reply(description, private=True, attachments=(attachment,))
        )
        return Reply(ctx.t("privacy.export.sent"), private=True)

    async def erase(ctx: Context) -> Reply:
        person_id = ctx.actor.person_id
        kept = await mydata.erase(person_id, ctx.now, actor=person_id)
        notices.forget(person_id)
        lines = [ctx.t("privacy.erase.done")]
        if kept:
            lines.append(ctx.t("privacy.erase.kept"))
            lines.extend(kept_lines(ctx, kept, keep_for, zone))
        else:
            lines.append(ctx.t("privacy.erase.nothing_kept"))
        details = Reply("\n".join(lines), private=True)
        if ctx.room.private:
            return details
        # A confirmation answered in a shared room is answered there (Matrix reactions):
        # what is kept, and a case behind it, must never show in public.
        await ctx.platform.send_private(ctx.actor.identity, details)
        return Reply(ctx.t("privacy.erase.sent"), private=True)

    return [
        Command("privacy", privacy, private=True),
        Command("export", export, group="mydata", private=True),
        Command("erase", erase, group="mydata", private=True, confirm_key="privacy.erase.confirm"),
    ]
