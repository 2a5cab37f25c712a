"""Rendering Haven's command declarations as discord.py application commands.

discord.py reads a slash command's options from its callback's signature, so each
declaration gets a small callback whose `__signature__` lists its typed parameters.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.core.commands import Command, CommandRegistry, Param, ParamType
from bot.core.i18n import Translator

Runner = Callable[[Command, discord.Interaction, dict[str, Any]], Awaitable[None]]
MenuRunner = Callable[[Command, discord.Interaction, discord.Message], Awaitable[None]]


def _text(english: Translator, key: str, *, limit: int = 100, slug: bool = False) -> locale_str:
    """A translatable string: English default, catalogue key for the Translator."""
    from bot.adapters.discord.translator import slug as make_slug

    value = english.gettext(key)
    value = make_slug(value) if slug else value[:limit]
    return locale_str(value, key=key, slug=slug)


def _annotation(param: Param) -> Any:
    if param.type is ParamType.INTEGER:
        if param.min_value is not None or param.max_value is not None:
            return app_commands.Range[int, param.min_value, param.max_value]
        return int
    if param.type is ParamType.BOOLEAN:
        return bool
    if param.type is ParamType.MEMBER:
        return discord.User
    if param.type is ParamType.ROOM:
        # Rooms Haven posts in; a bare GuildChannel would also offer media channels (type
        # 16), which Discord's published API spec does not list.
        return discord.TextChannel | discord.Thread
    if param.type in (ParamType.STRING, ParamType.TEXT) and param.max_length:
        return app_commands.Range[str, 1, param.max_length]
    return str


def _callback(command: Command, english: Translator, run: Runner) -> Callable[..., Any]:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run(command, interaction, values)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for param in command.params:
        required = param.required and not param.option
        parameters.append(
            inspect.Parameter(
                param.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(param),
                default=inspect.Parameter.empty if required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        p.name: _text(english, p.description_key) for p in command.params
    }
    callback.__discord_app_commands_param_rename__ = {  # type: ignore[attr-defined]
        p.name: locale_str(p.shown_name, key=f"optname.{p.shown_name}", slug=True)
        for p in command.params
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        p.name: [
            app_commands.Choice(name=_text(english, p.choice_key(c)), value=c) for c in p.choices
        ]
        for p in command.params
        if p.choices
    }
    return callback


def build_commands(
    registry: CommandRegistry, english: Translator, run: Runner, run_menu: MenuRunner
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu]:
    """Slash commands (grouped), and message context menus, for every declaration."""
    built: list[Any] = []
    groups: dict[str, app_commands.Group] = {}
    for command in registry:
        if command.hidden:
            continue
        slash = app_commands.Command(
            name=command.name,
            description=_text(english, command.description_key),
            callback=_callback(command, english, run),
        )
        if command.group is None:
            built.append(slash)
        else:
            group = groups.get(command.group)
            if group is None:
                group = app_commands.Group(
                    name=command.group,
                    description=_text(english, f"group.{command.group}.description"),
                )
                groups[command.group] = group
                built.append(group)
            group.add_command(slash)
    for command in registry.message_menus():
        assert command.message_menu_key is not None
        built.append(_menu(command, english, run_menu))
    return built


def _menu(command: Command, english: Translator, run_menu: MenuRunner) -> app_commands.ContextMenu:
    async def callback(interaction: discord.Interaction, message: discord.Message) -> None:
        await run_menu(command, interaction, message)

    assert command.message_menu_key is not None
    return app_commands.ContextMenu(
        name=_text(english, command.message_menu_key, limit=32), callback=callback
    )
