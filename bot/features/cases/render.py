"""Case files as text for moderators, in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.context import Context
from bot.features.cases.model import CaseAction, CaseEvent, CaseFile, CaseNote, CaseSummary

EXCERPT = 120


@dataclass(frozen=True, slots=True)
class CaseView:
    """Everything `case show` displays."""

    case: CaseFile
    concerns: Sequence[tuple[int, Any]]  # (concern id, ConcernView or None)
    notes: Sequence[CaseNote]
    actions: Sequence[CaseAction]
    events: Sequence[CaseEvent]

    def person_ids(self) -> set[str | None]:
        """Everyone the view names (to label them once)."""
        ids: set[str | None] = {
            self.case.subject_person_id, self.case.assignee_person_id, self.case.opened_by,
        }  # fmt: skip
        ids |= {n.author_person_id for n in self.notes}
        ids |= {a.decided_by for a in self.actions}
        ids |= {e.by_person_id for e in self.events}
        ids |= {e.value for e in self.events if e.kind == "assign"}
        return ids


def when(ctx: Context, at: datetime) -> str:
    """A time in the configured zone, to the minute."""
    zone = ctx.extras.get("zone")
    return (at.astimezone(zone) if zone else at).strftime("%Y-%m-%d %H:%M")


def state_name(ctx: Context, state: str) -> str:
    """A state's display name (shared with the `state` choices)."""
    return ctx.t(f"choice.state.{state}")


def _label(labels: Mapping[str, str], person_id: str | None) -> str:
    return labels.get(person_id or "", person_id or "—")


def _header(ctx: Context, case: CaseFile, labels: Mapping[str, str]) -> list[str]:
    lines = [
        ctx.t("case.show.header", case=case.case_id, state=state_name(ctx, case.state.value)),
        ctx.t(
            "case.show.opened", at=when(ctx, case.opened_at), who=_label(labels, case.opened_by)
        ),
    ]
    if case.subject_person_id:
        lines.append(ctx.t("case.show.subject", who=_label(labels, case.subject_person_id)))
    else:
        lines.append(ctx.t("case.show.no_subject"))
    if case.assignee_person_id:
        lines.append(ctx.t("case.show.assignee", who=_label(labels, case.assignee_person_id)))
    else:
        lines.append(ctx.t("case.show.unassigned"))
    if case.closed_at is not None:
        lines.append(
            ctx.t("case.show.closed", at=when(ctx, case.closed_at), outcome=case.outcome or "")
        )
    return lines


def _concern_line(ctx: Context, concern_id: int, view: Any) -> str:
    if view is None:
        return ctx.t("case.show.concern_gone", concern=concern_id)
    excerpt = (view.excerpt or "").replace("\n", " ")
    if len(excerpt) > EXCERPT:
        excerpt = excerpt[: EXCERPT - 1] + "…"
    line = ctx.t(
        "case.show.concern",
        concern=concern_id,
        source=view.source,
        severity=view.severity,
        categories=", ".join(view.categories) or "—",
        status=view.status,
        excerpt=excerpt,
    )
    return f"{line} {view.link}" if view.link else line


def _event_line(ctx: Context, event: CaseEvent, labels: Mapping[str, str]) -> str:
    who = _label(labels, event.by_person_id)
    at = when(ctx, event.at)
    if event.kind == "state":
        return ctx.t("case.event.state", at=at, who=who, state=state_name(ctx, event.value))
    if event.kind == "reopen":
        return ctx.t("case.event.reopen", at=at, who=who)
    if event.kind == "assign":
        return ctx.t("case.event.assign", at=at, who=who, assignee=_label(labels, event.value))
    if event.kind == "link":
        return ctx.t("case.event.link", at=at, who=who, concern=event.value)
    return ctx.t("case.event.open", at=at, who=who)


def render_case(ctx: Context, view: CaseView, labels: Mapping[str, str]) -> str:
    """The whole case: header, concerns, notes, decisions, history."""
    lines = _header(ctx, view.case, labels)
    lines.append(ctx.t("case.show.concerns"))
    lines += [f"• {_concern_line(ctx, cid, cv)}" for cid, cv in view.concerns] or [
        f"• {ctx.t('case.show.none')}"
    ]
    lines.append(ctx.t("case.show.notes"))
    lines += [
        "• " + ctx.t("case.show.note", at=when(ctx, n.at), who=_label(labels, n.author_person_id),
                     text=n.text)
        for n in view.notes
    ] or [f"• {ctx.t('case.show.none')}"]  # fmt: skip
    lines.append(ctx.t("case.show.actions"))
    lines += [
        "• " + ctx.t(
            "case.show.action", at=when(ctx, a.at), kind=ctx.t(f"choice.kind.{a.kind.value}"),
            who=_label(labels, a.decided_by), result=ctx.t(f"case.result.{a.result.value}"),
            reason=a.reason, detail=a.detail or "—",
        )
        for a in view.actions
    ] or [f"• {ctx.t('case.show.none')}"]  # fmt: skip
    lines.append(ctx.t("case.show.history"))
    lines += [f"• {_event_line(ctx, e, labels)}" for e in view.events]
    return "\n".join(lines)


def render_list(
    ctx: Context, summaries: Sequence[CaseSummary], total: int, labels: Mapping[str, str]
) -> str:
    """One line per case, newest first, with a count of those not shown."""
    if not summaries:
        return ctx.t("case.list.empty")
    lines = [ctx.t("case.list.header", count=total)]
    for summary in summaries:
        case = summary.case
        lines.append(
            "• " + ctx.t(
                "case.list.line", case=case.case_id, state=state_name(ctx, case.state.value),
                subject=_label(labels, case.subject_person_id),
                assignee=_label(labels, case.assignee_person_id),
                concerns=summary.concerns, updated=when(ctx, case.updated_at),
            )
        )  # fmt: skip
    if total > len(summaries):
        lines.append(ctx.t("case.list.more", count=total - len(summaries)))
    return "\n".join(lines)
