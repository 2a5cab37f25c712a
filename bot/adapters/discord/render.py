"""Turning a core `Reply` into what discord.py sends: content, buttons, mentions."""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.core.replies import ButtonStyle, Reply, ReplyKind

MAX_CONTENT = 2000
CUSTOM_ID_PREFIX = "haven:"  # a personal button: the answer replaces the prompt
PUBLIC_ID_PREFIX = "haven+:"  # anyone may press it: each presser gets a private answer

_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
}


def chunks(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split text at line ends into pieces Discord accepts."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current or not pieces:
        pieces.append(current)
    return [p.rstrip("\n") or "\u200b" for p in pieces]


def view_for(reply: Reply) -> discord.ui.View | None:
    """Buttons whose custom ids route back to Haven's commands (no in-memory callbacks)."""
    if not reply.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in reply.buttons:
        view.add_item(
            discord.ui.Button(
                label=button.label[:80],
                custom_id=(
                    f"{CUSTOM_ID_PREFIX if button.personal else PUBLIC_ID_PREFIX}{button.action}"
                )[:100],
                style=_STYLES[button.style],
                emoji=button.emoji or None,
            )
        )
    return view


def allowed_mentions(reply: Reply) -> discord.AllowedMentions:
    """Only the people the reply names are pinged; never everyone or roles by accident."""
    users = [discord.Object(int(p.user_id)) for p in reply.mentions if p.user_id.isdigit()]
    return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)


def files_for(reply: Reply) -> list[discord.File]:
    """Fresh `discord.File` objects (each can be sent only once)."""
    return [
        discord.File(io.BytesIO(a.data), filename=a.filename, description=a.description or None)
        for a in reply.attachments
    ]


def send_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for `Messageable.send` (first chunk only carries the buttons)."""
    kwargs: dict[str, Any] = {"allowed_mentions": allowed_mentions(reply)}
    view = view_for(reply)
    if view is not None:
        kwargs["view"] = view
    if reply.attachments:
        kwargs["files"] = files_for(reply)
    return kwargs


def is_ephemeral(reply: Reply) -> bool:
    """Errors, prompts and private answers are shown only to the person who asked."""
    return reply.private or reply.kind in (ReplyKind.ERROR, ReplyKind.CONFIRM)
