"""Help texts rendered from the declarations, so help never drifts from the commands."""

from __future__ import annotations

from bot.core.commands import Command, CommandRegistry
from bot.core.context import Actor
from bot.core.i18n import Translator
from bot.core.ports import ChatPlatform


def _visible(command: Command, actor: Actor) -> bool:
    return not command.hidden and actor.can(command.capability)


def overview(
    registry: CommandRegistry, actor: Actor, platform: ChatPlatform, t: Translator
) -> str:
    """All commands the actor may use, grouped, one line each."""
    lines = [t.gettext("help.title")]
    for command in registry.top_level():
        if _visible(command, actor):
            syntax = platform.command_syntax(command, t)
            lines.append(f"• {syntax} — {t.gettext(command.description_key)}")
    for group in registry.groups():
        commands = [c for c in registry.in_group(group) if _visible(c, actor)]
        if not commands:
            continue
        lines.append("")
        lines.append(t.gettext("help.group", group=group))
        for command in commands:
            syntax = platform.command_syntax(command, t)
            lines.append(f"• {syntax} — {t.gettext(command.description_key)}")
    help_command = registry.get("help")
    if help_command is not None:
        lines.append("")
        lines.append(t.gettext("help.footer", syntax=platform.command_syntax(help_command, t)))
    return "\n".join(lines)


def command_help(command: Command, platform: ChatPlatform, t: Translator) -> str:
    """Usage, description, parameters and choices of one command."""
    lines = [
        t.gettext("common.usage", usage=platform.command_syntax(command, t)),
        t.gettext(command.description_key),
    ]
    if t.has(command.help_key):
        lines.append(t.gettext(command.help_key))
    if command.params:
        lines.append(t.gettext("help.params"))
        for param in command.params:
            marker = "" if param.required and not param.option else t.gettext("help.optional")
            text = f"• {param.shown_name}{marker}: {t.gettext(param.description_key)}"
            if param.choices:
                names = ", ".join(param.choices)
                text += " " + t.gettext("help.choices", choices=names)
            lines.append(text)
    return "\n".join(lines)


def group_help(
    registry: CommandRegistry, group: str, actor: Actor, platform: ChatPlatform, t: Translator
) -> str:
    """The commands of one group."""
    lines = [t.gettext("help.group", group=group)]
    for command in registry.in_group(group):
        if _visible(command, actor):
            syntax = platform.command_syntax(command, t)
            lines.append(f"• {syntax} — {t.gettext(command.description_key)}")
    return "\n".join(lines)
