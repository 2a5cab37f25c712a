"""Declarations of `helpme`, `resources`, `helpdesk …` and `outreach …`."""

from __future__ import annotations

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context, PersonRef
from bot.core.detection import Severity
from bot.core.errors import UserError
from bot.core.replies import Reply
from bot.features.helpdesk.directory import TOPICS, Directory
from bot.features.helpdesk.model import OUTCOMES
from bot.features.helpdesk.outreach import OutreachService
from bot.features.helpdesk.service import HelpdeskService

REQUEST = Param("request", ParamType.INTEGER, min_value=1)
TOPIC = Param("subject", ParamType.CHOICE, required=False, choices=TOPICS)
SEVERITIES = tuple(s.value for s in Severity)


def declare(
    helpdesk: HelpdeskService, outreach: OutreachService, directory: Directory
) -> list[Command]:
    """Every help-desk and outreach command."""

    async def helpme(ctx: Context, message: str | None, subject: str | None) -> Reply:
        # `!helpme family things are hard` works as well as `--subject family`: a first
        # word that names a topic is taken as the topic, the rest as the message.
        topic = subject
        if topic is None and message:
            first, _, rest = message.strip().partition(" ")
            if first.lower() in TOPICS:
                topic, message = first.lower(), rest
        return await helpdesk.ask(ctx, topic, message)

    async def resources(ctx: Context, subject: str | None) -> Reply:
        topic = subject
        if topic is None:
            urgent = directory.helplines("crisis", ctx.locale)
            lines = [ctx.t("helpdesk.resources_urgent")]
            lines += [f"• {s.describe(ctx.locale)}" for s in urgent]
            topics = ", ".join(ctx.t(f"choice.subject.{x}") for x in TOPICS)
            lines.append(ctx.t("helpdesk.resources_topics", topics=topics))
            return Reply("\n".join(lines))
        found = directory.for_topic(topic, ctx.locale)
        if not found:
            raise UserError("helpdesk.resources_none", topic=ctx.t(f"choice.subject.{topic}"))
        lines = [ctx.t("helpdesk.resources_title", topic=ctx.t(f"choice.subject.{topic}"))]
        lines += [f"• {s.describe(ctx.locale)}" for s in found]
        return Reply("\n".join(lines))

    async def queue(ctx: Context) -> Reply:
        return await helpdesk.queue(ctx)

    async def claim(ctx: Context, request: int) -> Reply:
        return await helpdesk.claim(ctx, request)

    async def handover(ctx: Context, request: int, member: PersonRef, note: str) -> Reply:
        return await helpdesk.handover(ctx, request, member, note)

    async def check_close(ctx: Context, request: int, result: str) -> None:
        await helpdesk.check_close(ctx, request, result)

    async def close(ctx: Context, request: int, result: str) -> Reply:
        return await helpdesk.close(ctx, request, result)

    async def escalate(ctx: Context, request: int, summary: str, severity: str) -> Reply:
        return await helpdesk.escalate(ctx, request, summary, severity)

    async def checkin(ctx: Context, member: PersonRef) -> Reply:
        return await outreach.checkin(ctx, member)

    async def accept(ctx: Context, checkin: int) -> Reply:
        return await outreach.accept(ctx, checkin)

    async def decline(ctx: Context, checkin: int) -> Reply:
        return await outreach.decline(ctx, checkin)

    async def optout(ctx: Context) -> Reply:
        return await outreach.optout(ctx)

    async def optin(ctx: Context) -> Reply:
        return await outreach.optin(ctx)

    async def available(ctx: Context) -> Reply:
        return await outreach.available(ctx)

    async def unavailable(ctx: Context) -> Reply:
        return await outreach.unavailable(ctx)

    async def who(ctx: Context) -> Reply:
        return await outreach.who(ctx)

    worker = Capability.RUN_HELPDESK
    checkin_param = Param("checkin", ParamType.INTEGER, min_value=1)
    return [
        Command(
            "helpme",
            helpme,
            params=(
                Param("message", ParamType.TEXT, required=False, max_length=1000),
                Param("subject", ParamType.CHOICE, required=False, choices=TOPICS, option=True),
            ),
            private=True,
            discreet=True,  # what a young person asks must not stay in a shared room
        ),
        Command("resources", resources, params=(TOPIC,)),
        Command("queue", queue, group="helpdesk", capability=worker, private=True),
        Command("claim", claim, group="helpdesk", capability=worker, params=(REQUEST,)),
        Command(
            "handover",
            handover,
            group="helpdesk",
            capability=worker,
            params=(
                REQUEST,
                Param("member", ParamType.MEMBER),
                Param("note", ParamType.TEXT, max_length=1000),
            ),
            private=True,
            discreet=True,
        ),
        Command(
            "close",
            close,
            group="helpdesk",
            capability=worker,
            params=(REQUEST, Param("result", ParamType.CHOICE, choices=OUTCOMES)),
            check=check_close,
            confirm_key="helpdesk.close_confirm",
            private=True,
        ),
        Command(
            "escalate",
            escalate,
            group="helpdesk",
            capability=worker,
            params=(
                REQUEST,
                Param("summary", ParamType.TEXT, max_length=500),
                Param(
                    "severity",
                    ParamType.CHOICE,
                    required=False,
                    option=True,
                    choices=SEVERITIES,
                    default="high",
                ),
            ),
            private=True,
            discreet=True,
        ),
        Command(
            "checkin",
            checkin,
            group="outreach",
            capability=worker,
            params=(Param("member", ParamType.MEMBER),),
            private=True,
            discreet=True,
        ),
        Command("accept", accept, group="outreach", params=(checkin_param,), hidden=True),
        Command("decline", decline, group="outreach", params=(checkin_param,), hidden=True),
        Command("optout", optout, group="outreach", private=True, discreet=True),
        Command("optin", optin, group="outreach", private=True, discreet=True),
        Command("available", available, group="outreach", capability=worker, private=True),
        Command("unavailable", unavailable, group="outreach", capability=worker, private=True),
        Command("who", who, group="outreach"),
    ]
