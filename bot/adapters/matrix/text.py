"""Matrix message text: reading commands out of bodies, rendering replies as HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from bot.core.context import PersonRef

_PILL = re.compile(
    r'<a\s+href="https://matrix\.to/#/(@[^"?]+?)(?:\?[^"]*)?"\s*>.*?</a>', re.IGNORECASE | re.S
)
_MX_REPLY = re.compile(r"<mx-reply>.*?</mx-reply>", re.IGNORECASE | re.S)
_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.S)


def strip_reply_fallback(body: str) -> str:
    """Drop the `> quoted` lines that clients put before a reply's own text."""
    lines = body.splitlines()
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def command_text(body: str, formatted_body: str | None) -> str:
    """The text to parse: pills become user ids, HTML and reply fallbacks are removed."""
    if formatted_body:
        text = _MX_REPLY.sub("", formatted_body)
        text = _PILL.sub(lambda m: m.group(1), text)
        text = _BR.sub("\n", text)
        text = html.unescape(_TAG.sub("", text))
        return text.strip()
    return strip_reply_fallback(body).strip()


def render_html(text: str, mentions: Iterable[PersonRef] = (), spoilers: bool = False) -> str:
    """Escape text for `formatted_body`, turning mentioned user ids into pills.

    With `spoilers`, `||hidden||` becomes a spoiler span clients show only when clicked.
    """
    escaped = html.escape(text, quote=False)
    if spoilers:
        escaped = _SPOILER.sub(r"<span data-mx-spoiler>\1</span>", escaped)
    for person in mentions:
        uid = html.escape(person.user_id, quote=False)
        label = html.escape(person.display_name or person.user_id, quote=False)
        pill = f'<a href="https://matrix.to/#/{person.user_id}">{label}</a>'
        escaped = escaped.replace(uid, pill)
    return escaped.replace("\n", "<br>")


def looks_like_user_id(value: str) -> bool:
    """True for `@local:server`."""
    return bool(re.fullmatch(r"@[^:\s]+:[^\s]+", value))
