"""The review queue: concerns are stored, shown to moderators, escalated until acknowledged.

Nothing here takes a consequential action. A concern is written first (with its report
and its acknowledgement deadline), then its card goes to the moderator room, the on-duty
moderator is pinged, and, for urgent risk, the young person is sent help resources.
Every read or change by a person is audited before anything is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.capabilities import Capability
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.detection import Detector, Severity
from bot.core.duty import Duty
from bot.core.errors import UserError
from bot.core.i18n import Translator
from bot.core.replies import Reply
from bot.features.safety import cards
from bot.features.safety.config import SafetyConfig
from bot.features.safety.model import (
    Concern,
    ConcernView,
    DismissReason,
    NewReport,
    Source,
    Status,
)
from bot.features.safety.repository import SafetyRepository

if TYPE_CHECKING:
    from bot.app import Haven

log = logging.getLogger(__name__)

DEADLINE_JOB = "safety.deadline"
PURPOSE = "safeguarding"
LAST_STEP = 2  # 0: on-duty moderator, 1: backup, 2: coordinators
# Concern categories -> the signposting directory's urgent categories.
DIRECTORY_CATEGORIES = {"self_harm": ["suicide", "self_harm"], "violence_threat": ["violence"]}


def concern_ref(concern_id: int) -> str:
    """The audit object name of a concern."""
    return f"concern:{concern_id}"


def deadline_job_id(concern_id: int) -> str:
    """The scheduler job id of a concern's acknowledgement deadline."""
    return f"concern:{concern_id}:deadline"


class SafetyService:
    """Concerns from the detector, reports and the help desk, up to a person's decision."""

    def __init__(self, app: Haven, repo: SafetyRepository, config: SafetyConfig) -> None:
        self.app = app
        self.repo = repo
        self.config = config
        self.detector: Detector | None = None  # set by tests; else the installed detector
        self.homeserver: Any = None  # the Synapse event-report poller (set in setup)
        app.scheduler.register(DEADLINE_JOB, self._deadline_job)

    # -- the API for other features (app.services["safety"]) ----------------------------

    async def get_concern(self, concern_id: int) -> ConcernView | None:
        """A concern without its reporter (callers that show it audit their own read)."""
        concern = await self.repo.get(concern_id)
        return None if concern is None else concern.view

    async def raise_concern(
        self,
        source: str,
        subject_person_id: str | None,
        excerpt: str,
        severity: str,
        link: str | None,
        raised_by: str | None,
        categories: tuple[str, ...] = (),
        platform: str | None = None,
        room_id: str | None = None,
        message_id: str | None = None,
    ) -> int:
        """Queue a concern for review (the help desk escalates a help thread with it)."""
        report = None
        if raised_by is not None:
            report = NewReport(raised_by, None, Source(source).value)
        concern_id, _ = await self.queue(
            source=Source(source),
            categories=categories,
            severity=Severity(severity),
            platform=platform,
            room_id=room_id,
            message_id=message_id,
            link=link,
            excerpt=excerpt,
            subject_person_id=subject_person_id,
            report=report,
        )
        return concern_id

    # -- queueing ------------------------------------------------------------------------

    async def queue(
        self,
        *,
        source: Source,
        categories: Iterable[str],
        severity: Severity,
        platform: str | None,
        room_id: str | None,
        message_id: str | None,
        link: str | None,
        excerpt: str,
        subject_person_id: str | None,
        report: NewReport | None = None,
        score: float | None = None,
        matched: Iterable[str] = (),
    ) -> tuple[int, bool]:
        """Store a concern, arm its deadline, then tell the moderators: (id, is it new)."""
        now = self.app.clock.now()
        concern_id, created = await self.repo.add(
            source=source.value,
            categories=tuple(categories),
            severity=severity.value,
            platform=platform,
            room_id=room_id,
            message_id=message_id,
            link=link,
            excerpt=excerpt[: self.config.excerpt_limit],
            subject_person_id=subject_person_id,
            now=now,
            report=report,
            score=score,
            matched=matched,
        )
        actor = report.reporter_person_id if report and report.reporter_person_id else "system"
        await self.app.audit.record(
            now, actor, f"concern.{source.value}", concern_ref(concern_id),
            purpose=PURPOSE, new=created,
        )  # fmt: skip
        if created:
            await self._schedule_deadline(concern_id, severity.value, now)
            await self.announce(concern_id)
        return concern_id, created

    async def announce(self, concern_id: int) -> None:
        """Card in the moderator room, the concern's own thread, first ping, help to the
        young person on urgent risk. A platform failure is logged; `reconcile` retries."""
        concern = await self.repo.get(concern_id)
        if concern is None:
            return
        platform = self._platform_for(concern)
        if platform is None:
            log.warning("concern %d: no platform running to show it on", concern_id)
            return
        room = platform.room_for("moderators")
        if room is None:
            log.warning("concern %d: no moderators room on %s", concern_id, platform.name)
            return
        t = self._translator()
        try:
            card = Reply(
                cards.card_text(t.gettext, concern),
                buttons=cards.card_buttons(t.gettext, concern_id),
                spoilers=True,
            )
            # A crash between posting and remembering the card must not post it twice.
            once = getattr(platform, "send_once", None)
            key = f"haven-concern-{concern_id}-{int(concern.view.created_at.timestamp() * 1000)}"
            sent = await (once(room, card, key) if once is not None else platform.send(room, card))
            await self.repo.set_card(concern_id, platform.name, room.room_id, sent.message_id)
            await self._ping(concern_id, 0)
            # The concern's own room comes after the ping: creating a room is the slow part.
            if self.config.concern_rooms:
                await self._open_thread(platform, room, concern, card)
        except Exception:
            log.exception("concern %d: showing it to moderators failed", concern_id)
        if self._urgent_risk(concern):
            await self._signpost(concern)

    async def _open_thread(
        self, platform: Any, room: RoomRef, concern: Concern, card: Reply
    ) -> None:
        on_duty = await self._roster_people(self.app.clock.now())
        members = await self._refs(on_duty, platform.name)
        name = self._translator().gettext("safety.thread.name", id=concern.concern_id)
        thread = await platform.space_admin.open_private_room(name, members, parent=room)
        await self.repo.set_thread(concern.concern_id, thread.room_id)
        await platform.send(thread, card)

    async def reconcile(self) -> None:
        """At start: show concerns stored just before a crash, re-arm missing deadlines."""
        for concern in await self.repo.without_card():
            await self.announce(concern.concern_id)
        now = self.app.clock.now()
        for concern in await self.repo.listing([Status.OPEN.value], limit=10_000):
            if concern.escalation_step >= LAST_STEP:
                continue
            if await self.app.scheduler.jobs.get_pending(deadline_job_id(concern.concern_id)):
                continue
            deadline = self.config.deadline(concern.view.severity)
            due = concern.view.created_at + deadline * (concern.escalation_step + 1)
            await self.app.scheduler.schedule(
                deadline_job_id(concern.concern_id), DEADLINE_JOB, max(due, now),
                {"id": concern.concern_id},
            )  # fmt: skip

    # -- escalation ----------------------------------------------------------------------

    async def _schedule_deadline(self, concern_id: int, severity: str, start: datetime) -> None:
        await self.app.scheduler.schedule(
            deadline_job_id(concern_id),
            DEADLINE_JOB,
            start + self.config.deadline(severity),
            {"id": concern_id},
        )

    async def _deadline_job(self, payload: dict[str, Any]) -> None:
        concern = await self.repo.get(int(payload["id"]))
        if concern is None or not concern.status.awaiting:
            return
        if concern.escalation_step >= LAST_STEP:
            return
        step = await self._ping(concern.concern_id, concern.escalation_step + 1)
        await self.app.audit.record(
            self.app.clock.now(), "system", "concern.escalate_ping",
            concern_ref(concern.concern_id), purpose=PURPOSE, step=step,
        )  # fmt: skip
        if step < LAST_STEP:
            await self._schedule_deadline(
                concern.concern_id, concern.view.severity, self.app.clock.now()
            )

    async def _ping(self, concern_id: int, step: int) -> int:
        """Ping the people of `step` (or the next step that has anyone); returns the step."""
        concern = await self.repo.get(concern_id)
        if concern is None or concern.card_room_id is None or concern.card_platform is None:
            return step
        platform = self.app.platform(concern.card_platform)
        now = self.app.clock.now()
        targets: list[PersonRef] = []
        asked = step
        while step <= LAST_STEP:
            targets = await self._targets(platform, step, now)
            if targets or step == LAST_STEP:
                break
            step += 1
        await self.repo.set_step(concern_id, step)
        if not targets:
            log.warning("concern %d: nobody to ping (no rota, no coordinators)", concern_id)
            return step
        t = self._translator()
        minutes = int(self.config.deadline(concern.view.severity).total_seconds() // 60)
        deadline = (
            f"{minutes // 60} h" if minutes >= 120 and minutes % 60 == 0 else f"{minutes} min"
        )
        key = ("safety.ping.primary", "safety.ping.backup", "safety.ping.coordinator")[step]
        if asked == 0 and step == LAST_STEP:
            key = "safety.ping.nobody_on_duty"
        text = t.gettext(
            key,
            mentions=" ".join(platform.mention(p) for p in targets),
            id=concern_id,
            severity=t.gettext(f"safety.severity.{concern.view.severity}"),
            deadline=deadline,
        )
        room = RoomRef(concern.card_platform, concern.card_room_id)
        await platform.send(room, Reply(text, mentions=tuple(targets)))
        return step

    async def _targets(self, platform: Any, step: int, now: datetime) -> list[PersonRef]:
        if step == LAST_STEP:
            finder = getattr(platform, "members_with_role", None)
            return list(await finder("coordinator")) if finder is not None else []
        roster = self.app.services.get("rota")
        if roster is None:
            return []
        on_duty = await roster.on_duty(Duty.MODERATOR, now)
        return await self._refs(on_duty.primary if step == 0 else on_duty.backup, platform.name)

    async def _roster_people(self, now: datetime) -> list[str]:
        roster = self.app.services.get("rota")
        if roster is None:
            return []
        on_duty = await roster.on_duty(Duty.MODERATOR, now)
        return list(dict.fromkeys((*on_duty.primary, *on_duty.backup)))

    async def _refs(self, person_ids: Iterable[str], platform: str) -> list[PersonRef]:
        """The accounts of `person_ids` on `platform` (people without one are skipped)."""
        refs = []
        for person_id in person_ids:
            for found_platform, user_id in await self.app.people.identities(person_id):
                if found_platform == platform:
                    refs.append(PersonRef(platform, user_id))
        return refs

    # -- help for the young person -------------------------------------------------------

    def _urgent_risk(self, concern: Concern) -> bool:
        view = concern.view
        risky = {c.value for c in self.config.urgent_risk}
        return (
            view.severity == Severity.URGENT.value
            and view.source != Source.HELPDESK.value
            and bool(risky.intersection(view.categories))
            and view.subject_person_id is not None
        )

    async def _signpost(self, concern: Concern) -> None:
        """Send the young person help resources privately (never mentioning any report)."""
        view = concern.view
        assert view.subject_person_id is not None
        person = await self.app.people.get(view.subject_person_id)
        language = (person.language if person else None) or self.app.settings.default_locale
        t = self.app.catalogues.translator(language)
        lines = self.helplines(view.categories, language)
        text = t.gettext("safety.signpost", helplines="\n".join(f"• {line}" for line in lines))
        platforms = [view.platform] if view.platform else [a.name for a in self.app.adapters]
        for ref in await self._refs([view.subject_person_id], platforms[0] or ""):
            try:
                await self.app.platform(ref.platform).send_private(ref, Reply(text, private=True))
            except Exception:
                log.exception("concern %d: sending help resources failed", view.concern_id)
        await self.app.audit.record(
            self.app.clock.now(), "system", "concern.signpost", concern_ref(view.concern_id),
            purpose=PURPOSE,
        )  # fmt: skip

    def helplines(self, categories: Iterable[str], language: str) -> list[str]:
        """Helplines from the signposting directory, else the fallback list in config."""
        directory = self.app.services.get("directory")
        if directory is not None:
            wanted: list[str] = []
            for category in categories:
                wanted += DIRECTORY_CATEGORIES.get(category, [])
            found: list[Any] = []
            for category in [*wanted, "emergency"]:
                try:
                    found += [s for s in directory.helplines(category, language) if s not in found]
                except KeyError:
                    continue
            if found:
                return cards.helpline_lines(found, language)
        return self.config.helplines(language)

    # -- reviewing (moderators) ----------------------------------------------------------

    async def _read(self, ctx: Context, concern_id: int, action: str, **detail: Any) -> Concern:
        """Load a concern for a person, auditing the access first (also when refused)."""
        await self.app.audit.record(
            ctx.now, ctx.actor.person_id, action, concern_ref(concern_id),
            purpose=PURPOSE, **detail,
        )  # fmt: skip
        concern = await self.repo.get(concern_id)
        if concern is None:
            raise UserError("safety.concern.unknown", id=concern_id)
        return concern

    async def may_read(self, ctx: Context) -> None:
        """Reviewers, and the roles the framework lists as readers of concern messages."""
        if ctx.actor.can(Capability.REVIEW_CONCERNS):
            return
        framework = self.app.services.get("framework")
        readers = set()
        if framework is not None and "concern_messages" in framework.data_classes:
            readers = {r.value for r in framework.data_classes["concern_messages"].readers}
        if readers.intersection(r.value for r in ctx.actor.roles) - {"member"}:
            return
        await self.app.audit.record(
            ctx.now, ctx.actor.person_id, "concern.refused", "concerns", purpose=PURPOSE,
            command=ctx.command.qualified_name,
        )  # fmt: skip
        raise UserError("safety.not_allowed")

    async def list_concerns(self, ctx: Context, status: str | None) -> Reply:
        """Open and acknowledged concerns (or one state), without excerpts."""
        await self.app.audit.record(
            ctx.now, ctx.actor.person_id, "concern.list", "concerns", purpose=PURPOSE,
            status=status or "live",
        )  # fmt: skip
        states = [status] if status else [Status.OPEN.value, Status.ACKNOWLEDGED.value]
        found = await self.repo.listing(states)
        if not found:
            return Reply(ctx.t("safety.list.empty"), private=True)
        lines = [ctx.t("safety.list.title", count=len(found))]
        lines += [cards.list_line(ctx.t, c) for c in found]
        return Reply("\n".join(lines), private=True)

    async def show(self, ctx: Context, concern_id: int) -> Reply:
        """One concern's card (excerpt behind a spoiler), audited before it is shown."""
        concern = await self._read(ctx, concern_id, "concern.read")
        return Reply(
            cards.card_text(ctx.t, concern),
            private=True,
            spoilers=True,
            buttons=cards.card_buttons(ctx.t, concern_id)
            if concern.status in (Status.OPEN, Status.ACKNOWLEDGED)
            else (),
        )

    async def acknowledge(self, ctx: Context, concern_id: int) -> Reply:
        """Take a concern: escalation stops."""
        concern = await self._read(ctx, concern_id, "concern.ack")
        if not await self.repo.change_status(
            concern_id, [Status.OPEN], Status.ACKNOWLEDGED, ctx.actor.person_id, ctx.now
        ):
            raise _not_open(ctx, concern)
        await self.app.scheduler.cancel(deadline_job_id(concern_id))
        await self._note(concern, "safety.note.ack", ctx)
        return Reply(ctx.t("safety.ack.done", id=concern_id), private=True)

    async def dismiss(self, ctx: Context, concern_id: int, reason: str, note: str | None) -> Reply:
        """Close a concern as needing no action; false positives feed the evaluation."""
        concern = await self._read(ctx, concern_id, "concern.dismiss", reason=reason)
        if not await self.repo.change_status(
            concern_id, [Status.OPEN, Status.ACKNOWLEDGED], Status.DISMISSED,
            ctx.actor.person_id, ctx.now, reason, note,
        ):  # fmt: skip
            raise _not_open(ctx, concern)
        if reason == DismissReason.FALSE_POSITIVE.value and concern.view.source == Source.DETECTOR:
            await self.repo.record_false_positive(concern, ctx.now)
        await self.app.scheduler.cancel(deadline_job_id(concern_id))
        why = self._translator().gettext(f"choice.dismissal.{reason}")
        await self._note(concern, "safety.note.dismiss", ctx, reason=why)
        return Reply(ctx.t("safety.dismiss.done", id=concern_id), private=True)

    async def open_case(self, ctx: Context, concern_id: int) -> Reply:
        """Hand the concern to a case file (the cases feature decides what follows)."""
        cases = self.app.services.get("cases")
        if cases is None:
            raise UserError("safety.cases_unavailable")
        concern = await self._read(ctx, concern_id, "concern.case")
        if concern.status not in (Status.OPEN, Status.ACKNOWLEDGED):
            raise _not_open(ctx, concern)
        case_id = await cases.open_case(
            concern_ids=[concern_id], opened_by=ctx.actor.person_id, at=ctx.now
        )
        await self.repo.change_status(
            concern_id, [Status.OPEN, Status.ACKNOWLEDGED], Status.CASE,
            ctx.actor.person_id, ctx.now,
        )  # fmt: skip
        await self.app.scheduler.cancel(deadline_job_id(concern_id))
        await self._note(concern, "safety.note.case", ctx, case=case_id)
        return Reply(ctx.t("safety.case.done", id=concern_id, case=case_id), private=True)

    async def escalate(self, ctx: Context, concern_id: int) -> Reply:
        """Raise the severity one step; the (shorter) deadline restarts now."""
        concern = await self._read(ctx, concern_id, "concern.escalate")
        if concern.status not in (Status.OPEN, Status.ACKNOWLEDGED):
            raise _not_open(ctx, concern)
        current = Severity(concern.view.severity)
        if current is Severity.URGENT:
            raise UserError("safety.escalate.already_urgent", id=concern_id)
        higher = (Severity.NORMAL, Severity.HIGH, Severity.URGENT)[current.rank + 1]
        await self.repo.set_severity(concern_id, higher.value, ctx.now)
        if concern.status is Status.OPEN:
            await self._schedule_deadline(concern_id, higher.value, ctx.now)
        updated = await self.repo.get(concern_id)
        assert updated is not None
        higher_text = self._translator().gettext(f"safety.severity.{higher.value}")
        await self._note(concern, "safety.note.escalate", ctx, severity=higher_text)
        if self._urgent_risk(updated):
            await self._signpost(updated)
        severity = ctx.t(f"safety.severity.{higher.value}")
        return Reply(ctx.t("safety.escalate.done", id=concern_id, severity=severity), private=True)

    async def reveal_reporter(self, ctx: Context, concern_id: int, reason: str) -> Reply:
        """Who reported a concern: only with a stated reason, audited before it is shown."""
        await self._read(ctx, concern_id, "concern.reporter.reveal", reason=reason)
        reporters = await self.repo.reporters(concern_id)
        if not reporters:
            raise UserError("safety.reporter.none", id=concern_id)
        lines = [ctx.t("safety.reporter.title", id=concern_id)]
        mentions: list[PersonRef] = []
        for person_id, why, when in reporters:
            accounts = await self._refs([person_id] if person_id else [], ctx.room.platform)
            who = " ".join(ctx.mention(a) for a in accounts) or ctx.t("safety.reporter.elsewhere")
            mentions += accounts
            lines.append(
                ctx.t("safety.reporter.line", who=who, when=when.strftime("%Y-%m-%d %H:%M"),
                      reason=why or "—")
            )  # fmt: skip
        return Reply("\n".join(lines), private=True)

    async def _note(self, concern: Concern, key: str, ctx: Context, **args: Any) -> None:
        """Tell the moderator room (and the concern's thread) what happened to a concern."""
        if concern.card_platform is None or concern.card_room_id is None:
            return
        t = self._translator()
        text = t.gettext(key, id=concern.concern_id, who=ctx.actor.identity.label, **args)
        try:
            platform = self.app.platform(concern.card_platform)
            for room_id in (concern.card_room_id, concern.thread_room_id):
                if room_id:
                    await platform.send(RoomRef(concern.card_platform, room_id), Reply(text))
        except Exception:
            log.exception("concern %d: posting a note failed", concern.concern_id)

    # -- helpers -------------------------------------------------------------------------

    def _translator(self) -> Translator:
        return self.app.catalogues.translator(self.app.settings.default_locale)

    def _platform_for(self, concern: Concern) -> Any:
        names = [concern.view.platform] if concern.view.platform else []
        names += [a.name for a in self.app.adapters]
        for name in names:
            try:
                return self.app.platform(name)
            except LookupError:
                continue
        return None

    def deadline(self, severity: str) -> timedelta:
        """The acknowledgement deadline of a severity."""
        return self.config.deadline(severity)


def _not_open(ctx: Context, concern: Concern) -> UserError:
    """The refusal for acting on a concern that was already dismissed or handed to a case."""
    status = ctx.t(f"safety.status.{concern.view.status}")
    return UserError("safety.concern.not_open", id=concern.concern_id, status=status)
