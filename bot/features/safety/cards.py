"""What reviewers see: a concern's card, pings, and the young person's help message.

Pure text building (no I/O). Excerpts are shown behind a spoiler, so a distressing
message is only read by a reviewer who chooses to open it; the reporter is never named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.core.replies import Button, ButtonStyle
from bot.features.safety.model import Concern, Source

Translate = Callable[..., str]
NO_CATEGORY = "report"


def hide(excerpt: str) -> str:
    """The excerpt inside a spoiler (`||…||`), with any `||` of its own broken up."""
    cleaned = " ".join(excerpt.replace("||", "| |").split())
    return f"||{cleaned}||" if cleaned else ""


def categories_text(t: Translate, categories: Sequence[str]) -> str:
    """Translated category names, or "member report" when the concern has none."""
    if not categories:
        return t("safety.category.none")
    return ", ".join(t(f"safety.category.{c}") for c in categories)


def card_text(t: Translate, concern: Concern) -> str:
    """The card shown in the moderator room and the concern's own thread."""
    view = concern.view
    lines = [
        t(
            "safety.card.title",
            id=view.concern_id,
            severity=t(f"safety.severity.{view.severity}"),
            categories=categories_text(t, view.categories),
            source=t(f"safety.source.{view.source}"),
        )
    ]
    if view.excerpt:
        lines.append(t("safety.card.excerpt", excerpt=hide(view.excerpt)))
    if view.link:
        lines.append(t("safety.card.link", link=view.link))
    if view.source == Source.REPORT.value:
        lines.append(t("safety.card.reported", count=max(concern.report_count, 1)))
    lines.append(t("safety.card.status", status=t(f"safety.status.{view.status}")))
    return "\n".join(lines)


def card_buttons(t: Translate, concern_id: int) -> tuple[Button, ...]:
    """Acknowledge, dismiss as a false positive, open a case, escalate: for any reviewer."""
    return (
        Button(t("safety.button.ack"), f"concern ack:{concern_id}", ButtonStyle.SUCCESS, "✅",
               personal=False),
        Button(t("safety.button.dismiss"), f"concern dismiss:{concern_id} false_positive",
               ButtonStyle.SECONDARY, "🗑️", personal=False),
        Button(t("safety.button.case"), f"concern case:{concern_id}", ButtonStyle.PRIMARY, "📁",
               personal=False),
        Button(t("safety.button.escalate"), f"concern escalate:{concern_id}",
               ButtonStyle.DANGER, "⏫", personal=False),
    )  # fmt: skip


def list_line(t: Translate, concern: Concern) -> str:
    """One line of `concern list` (no excerpt: opening a concern is a separate, audited read)."""
    view = concern.view
    return t(
        "safety.list.line",
        id=view.concern_id,
        severity=t(f"safety.severity.{view.severity}"),
        categories=categories_text(t, view.categories),
        status=t(f"safety.status.{view.status}"),
        source=t(f"safety.source.{view.source}"),
    )


def helpline_lines(services: Sequence[Any], language: str) -> list[str]:
    """Directory services (help desk) as short lines: name and how to reach them."""
    lines = []
    for service in services:
        contact = getattr(service, "contact", None)
        ways = [
            value
            for value in (
                getattr(contact, "phone", None),
                getattr(contact, "chat", None),
                getattr(contact, "url", None),
            )
            if value
        ]
        name = getattr(service, "name", str(service))
        ways = [w for w in ways if w not in name]  # "112: 112" says it once
        lines.append(f"{name}: {', '.join(ways)}" if ways else name)
    return lines
