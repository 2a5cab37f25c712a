"""Declarations and handlers of the basic commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import __version__
from bot.core import help as helptext
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.i18n import SUPPORTED_LOCALES
from bot.core.replies import Reply

if TYPE_CHECKING:
    from bot.app import Haven

LANGUAGE_CHOICES = (*SUPPORTED_LOCALES, "default")


def declare(app: Haven) -> list[Command]:
    """The basic commands, bound to `app`."""

    async def help_(ctx: Context, command: str | None = None) -> Reply:
        registry = app.registry
        if not command:
            return Reply(helptext.overview(registry, ctx.actor, ctx.platform, ctx.translator))
        name = " ".join(command.lower().lstrip("!/").split())
        found = registry.get(name)
        if found is not None and not found.hidden:
            return Reply(helptext.command_help(found, ctx.platform, ctx.translator))
        if name in registry.groups():
            return Reply(
                helptext.group_help(registry, name, ctx.actor, ctx.platform, ctx.translator)
            )
        raise UserError("help.unknown", command=command)

    async def about(ctx: Context) -> Reply:
        return Reply(
            ctx.t(
                "about.text",
                name=app.settings.instance_name,
                version=__version__,
                platform=ctx.platform.name,
            )
        )

    async def language(ctx: Context, language: str | None = None) -> Reply:
        if language is None:
            return Reply(ctx.t("language.current", language=ctx.locale), private=True)
        chosen = None if language == "default" else language
        await app.people.set_language(ctx.actor.person_id, chosen)
        shown = app.catalogues.translator(chosen or app.settings.default_locale)
        key = "language.reset" if chosen is None else "language.set"
        return Reply(shown.gettext(key, language=chosen or app.settings.default_locale))

    async def ping(ctx: Context) -> Reply:
        return Reply(ctx.t("ping.pong"))

    return [
        Command(
            "help",
            help_,
            params=(Param("command", ParamType.TEXT, required=False, max_length=100),),
        ),
        Command("about", about),
        Command(
            "language",
            language,
            params=(
                Param("language", ParamType.CHOICE, required=False, choices=LANGUAGE_CHOICES),
            ),
        ),
        Command("ping", ping),
    ]


def declare_confirmations(app: Haven) -> list[Command]:
    """`confirm CODE` and `cancel CODE`: the answers to a destructive command's prompt.

    Discord buttons and Matrix reactions are routed to these same commands.
    """

    async def confirm(ctx: Context, code: str) -> Reply:
        return await app.dispatcher.complete_confirmation(ctx, code, accept=True)

    async def cancel(ctx: Context, code: str) -> Reply:
        return await app.dispatcher.complete_confirmation(ctx, code, accept=False)

    code = Param("code", ParamType.STRING, max_length=12)
    return [
        Command("confirm", confirm, params=(code,), hidden=True),
        Command("cancel", cancel, params=(code,), hidden=True),
    ]
