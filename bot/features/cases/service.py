"""Case files: the rules, the audit of every access, and the API other features call.

Every read and every change is audited (`app.audit.record`) before anything is shown or
acknowledged; every refusal that names case data is audited too, then raised as a
`UserError`, so nothing was changed. Audit entries carry ids, kinds and the purpose,
never free text: the audit is kept longer than the case file itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NoReturn

from bot.core.capabilities import Role
from bot.core.context import Context, MessageRef, PersonRef
from bot.core.dry_run import DryRunModeration
from bot.core.errors import UserError
from bot.features.cases.model import ActionKind, ActionResult, CaseFile, case_ref
from bot.features.cases.render import CaseView, render_case, render_list
from bot.features.cases.repository import CaseRepository
from bot.features.cases.states import CaseState, TransitionError, move, reopen
from bot.storage.audit_repository import AuditRepository
from bot.storage.people_repository import PeopleRepository

log = logging.getLogger(__name__)

DATA_CLASS = "case_files"
PURPOSE = "safeguarding"
LIST_LIMIT = 25
MAX_TIMEOUT = timedelta(days=28)  # Discord's longest timeout; Matrix follows the same rule
CASES_OBJECT = "cases"


class CaseService:
    """Case files for moderators and coordinators; the API the safety feature calls."""

    def __init__(
        self,
        repo: CaseRepository,
        audit: AuditRepository,
        people: PeopleRepository,
        services: Mapping[str, Any],
        platform_for: Callable[[str], Any],
    ) -> None:
        self.repo = repo
        self.audit = audit
        self.people = people
        self.services = services
        self.platform_for = platform_for

    # -- the API for other features (app.services["cases"]) -----------------------------

    async def open_case(
        self,
        *,
        concern_ids: Sequence[int],
        opened_by: str,
        at: datetime,
        subject_person_id: str | None = None,
    ) -> int:
        """Open a case about `concern_ids` (a moderator's decision) and return its id.

        The subject is `subject_person_id`, else the first concern's subject. When one of
        the concerns already belongs to an open case, the others are linked to that case
        and its id is returned, so pressing "open case" twice never makes two cases.
        """
        for concern_id in concern_ids:
            existing = await self.repo.open_case_of_concern(concern_id)
            if existing is not None:
                for other in concern_ids:
                    await self.link_concern(existing, other, opened_by, at)
                return existing
        subject = subject_person_id
        if subject is None:
            for concern in await self._concerns(concern_ids):
                if concern is not None and concern.subject_person_id:
                    subject = concern.subject_person_id
                    break
        case_id = await self.repo.create(
            subject_person_id=subject, concern_ids=concern_ids, opened_by=opened_by, at=at
        )
        await self.audit.record(
            at, opened_by, "case.open", case_ref(case_id),
            purpose=PURPOSE, concerns=list(concern_ids), subject=subject is not None,
        )  # fmt: skip
        log.info("case %d opened with %d concern(s)", case_id, len(concern_ids))
        return case_id

    async def link_concern(self, case_id: int, concern_id: int, by: str, at: datetime) -> None:
        """Link a concern to an open case (UserError when the case is unknown or closed)."""
        case = await self.repo.get(case_id)
        if case is None:
            raise UserError("case.error.not_found", case=case_id)
        if not case.is_open:
            raise UserError("case.error.closed", case=case_id)
        if await self.repo.link(case_id, concern_id, by, at):
            await self.audit.record(
                at, by, "case.link", case.ref, purpose=PURPOSE, concern=concern_id
            )

    async def held_concern_ids(self) -> set[int]:
        """Concerns linked to a case that is not closed: the safety purge must keep them."""
        return await self.repo.held_concern_ids()

    async def held_person_ids(self) -> set[str]:
        """Subjects of cases that are not closed (a legal hold on their data)."""
        return await self.repo.held_person_ids()

    # -- access --------------------------------------------------------------------------

    async def refuse(self, ctx: Context, obj: str, key: str, /, **args: Any) -> NoReturn:
        """Audit a refusal that touches case data, then raise it (nothing was changed)."""
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "case.refused", obj,
            via=ctx.command.qualified_name, refusal=key, purpose=PURPOSE,
        )  # fmt: skip
        raise UserError(key, **args)

    async def permission_refused(self, ctx: Context, args: Mapping[str, Any]) -> None:
        """The dispatcher refused a `case` command for lack of capability: audit it."""
        if ctx.command.group != "case":
            return
        await self.audit.record(
            ctx.now, ctx.actor.person_id, "case.refused", _object_of(args),
            via=ctx.command.qualified_name, refusal="error.no_permission", purpose=PURPOSE,
        )  # fmt: skip

    def _readers(self) -> frozenset[Role]:
        framework = self.services.get("framework")
        if framework is None or DATA_CLASS not in framework.data_classes:
            return frozenset()  # no framework: nobody reads case files (fail closed)
        return frozenset(framework.data_classes[DATA_CLASS].readers)

    async def _require_reader(self, ctx: Context, obj: str) -> None:
        if not (ctx.actor.roles & self._readers()):
            await self.refuse(ctx, obj, "case.error.not_reader")

    async def _case(self, ctx: Context, case_id: int) -> CaseFile:
        """The case, after the framework check; refusals are audited."""
        obj = case_ref(case_id)
        await self._require_reader(ctx, obj)
        case = await self.repo.get(case_id)
        if case is None:
            await self.refuse(ctx, obj, "case.error.not_found", case=case_id)
        return case

    async def _open_case(self, ctx: Context, case_id: int) -> CaseFile:
        case = await self._case(ctx, case_id)
        if not case.is_open:
            await self.refuse(ctx, case.ref, "case.error.closed", case=case_id)
        return case

    async def _record(self, ctx: Context, action: str, obj: str, **detail: Any) -> None:
        await self.audit.record(
            ctx.now, ctx.actor.person_id, action, obj,
            via=ctx.command.qualified_name, purpose=PURPOSE, **detail,
        )  # fmt: skip

    # -- reading -------------------------------------------------------------------------

    async def show(self, ctx: Context, case_id: int) -> str:
        """The whole case as text, audited before it is returned."""
        case = await self._case(ctx, case_id)
        await self._record(ctx, "case.show", case.ref)
        concern_ids = await self.repo.concern_ids(case_id)
        view = CaseView(
            case=case,
            concerns=list(zip(concern_ids, await self._concerns(concern_ids), strict=True)),
            notes=await self.repo.notes(case_id),
            actions=await self.repo.actions(case_id),
            events=await self.repo.events(case_id),
        )
        return render_case(ctx, view, await self._labels(ctx, view.person_ids()))

    async def list(self, ctx: Context, state: str | None, mine: bool) -> str:
        """Cases (open ones unless a state is asked), audited before they are returned."""
        await self._require_reader(ctx, CASES_OBJECT)
        wanted = CaseState(state) if state else None
        summaries, total = await self.repo.list(
            state=wanted,
            open_only=wanted is None,
            assignee=ctx.actor.person_id if mine else None,
            limit=LIST_LIMIT,
        )
        await self._record(
            ctx, "case.list", CASES_OBJECT,
            state=state or "open", mine=mine, cases=[s.case.case_id for s in summaries],
        )  # fmt: skip
        people = {s.case.assignee_person_id for s in summaries} | {
            s.case.subject_person_id for s in summaries
        }
        return render_list(ctx, summaries, total, await self._labels(ctx, people))

    # -- changes -------------------------------------------------------------------------

    async def note(self, ctx: Context, case_id: int, text: str) -> int:
        """Add a note to an open case."""
        case = await self._open_case(ctx, case_id)
        note_id = await self.repo.add_note(case_id, ctx.actor.person_id, ctx.now, text)
        await self._record(ctx, "case.note", case.ref, note=note_id)
        return note_id

    async def assign(self, ctx: Context, case_id: int, member: PersonRef) -> str:
        """Give an open case to a member of staff; returns their person id."""
        case = await self._open_case(ctx, case_id)
        assignee = await self.people.ensure_person(member.platform, member.user_id)
        if assignee.person_id == case.subject_person_id:
            await self.refuse(ctx, case.ref, "case.error.assign_subject", case=case_id)
        await self.repo.assign(case_id, assignee.person_id, ctx.actor.person_id, ctx.now)
        await self._record(ctx, "case.assign", case.ref, assignee=assignee.person_id)
        return assignee.person_id

    async def check_state(self, ctx: Context, case_id: int, state: str) -> CaseFile:
        """Refuse (audited) a state change the state machine does not allow."""
        case = await self._case(ctx, case_id)
        try:
            move(case.state, CaseState(state))
        except TransitionError as exc:
            await self.refuse(
                ctx, case.ref, exc.key, case=case_id,
                current=ctx.t(f"choice.state.{case.state.value}"),
                target=ctx.t(f"choice.state.{state}"),
            )  # fmt: skip
        return case

    async def set_state(
        self, ctx: Context, case_id: int, state: str, outcome: str | None = None
    ) -> CaseFile:
        """Move a case to `state` (closing records the outcome)."""
        case = await self.check_state(ctx, case_id, state)
        target = CaseState(state)
        if not await self.repo.set_state(
            case_id, case.state, target, ctx.actor.person_id, ctx.now, outcome
        ):
            await self.refuse(ctx, case.ref, "case.error.changed", case=case_id)
        await self._record(ctx, "case.state", case.ref, before=case.state.value, after=state)
        return case

    async def check_reopen(self, ctx: Context, case_id: int) -> CaseFile:
        """Only a coordinator reopens, and only a closed case."""
        case = await self._case(ctx, case_id)
        if Role.COORDINATOR not in ctx.actor.roles:
            await self.refuse(ctx, case.ref, "case.error.reopen_coordinator")
        try:
            reopen(case.state)
        except TransitionError as exc:
            await self.refuse(ctx, case.ref, exc.key, case=case_id)
        return case

    async def reopen(self, ctx: Context, case_id: int, reason: str) -> None:
        """Reopen a closed case; the reason becomes a note on it."""
        case = await self.check_reopen(ctx, case_id)
        if not await self.repo.set_state(
            case_id, case.state, reopen(case.state), ctx.actor.person_id, ctx.now
        ):
            await self.refuse(ctx, case.ref, "case.error.changed", case=case_id)
        note_id = await self.repo.add_note(case_id, ctx.actor.person_id, ctx.now, reason)
        await self._record(ctx, "case.reopen", case.ref, note=note_id)

    async def link(self, ctx: Context, case_id: int, concern_id: int) -> None:
        """Link a concern to an open case from a command."""
        case = await self._open_case(ctx, case_id)
        safety = self.services.get("safety")
        if safety is None or await safety.get_concern(concern_id) is None:
            await self.refuse(ctx, case.ref, "case.error.concern_unknown", concern=concern_id)
        await self.link_concern(case_id, concern_id, ctx.actor.person_id, ctx.now)

    # -- consequential actions -------------------------------------------------------------

    async def check_action(
        self,
        ctx: Context,
        case_id: int,
        kind: str,
        reason: str | None,
        duration: timedelta | None,
        concern: int | None,
        partner: str | None,
    ) -> tuple[CaseFile, Any]:
        """Everything an action needs, or an audited refusal; returns (case, target)."""
        case = await self._open_case(ctx, case_id)
        action = ActionKind(kind)
        if not (reason or "").strip():
            await self.refuse(ctx, case.ref, "case.error.reason_required")
        if action is ActionKind.REFERRAL:
            if not (partner or "").strip():
                await self.refuse(ctx, case.ref, "case.error.partner_required")
            return case, partner
        if action is ActionKind.REMOVE_MESSAGE:
            return case, await self._message(ctx, case, concern)
        if action is ActionKind.TIMEOUT and (
            duration is None or duration <= timedelta(0) or duration > MAX_TIMEOUT
        ):
            await self.refuse(ctx, case.ref, "case.error.duration", days=MAX_TIMEOUT.days)
        return case, await self._subject_here(ctx, case)

    async def _message(self, ctx: Context, case: CaseFile, concern: int | None) -> MessageRef:
        linked = await self.repo.concern_ids(case.case_id)
        if concern is None:
            if len(linked) != 1:
                await self.refuse(ctx, case.ref, "case.error.which_concern", case=case.case_id)
            concern = linked[0]
        if concern not in linked:
            await self.refuse(
                ctx, case.ref, "case.error.concern_not_linked", concern=concern, case=case.case_id
            )
        (view,) = await self._concerns([concern])
        if view is None or not (view.platform and view.room_id and view.message_id):
            await self.refuse(ctx, case.ref, "case.error.concern_unknown", concern=concern)
        return MessageRef(view.platform, view.room_id, view.message_id)

    async def _subject_here(self, ctx: Context, case: CaseFile) -> PersonRef:
        if case.subject_person_id is None:
            await self.refuse(ctx, case.ref, "case.error.no_subject", case=case.case_id)
        for platform, user_id in await self.people.identities(case.subject_person_id):
            if platform == ctx.room.platform:
                return PersonRef(platform, user_id)
        await self.refuse(ctx, case.ref, "case.error.subject_elsewhere", case=case.case_id)

    async def act(
        self,
        ctx: Context,
        case_id: int,
        kind: str,
        reason: str,
        duration: timedelta | None,
        concern: int | None,
        partner: str | None,
    ) -> tuple[ActionKind, ActionResult]:
        """Carry out a confirmed decision: record it on the case first, then act."""
        case, target = await self.check_action(
            ctx, case_id, kind, reason, duration, concern, partner
        )
        action = ActionKind(kind)
        reason = reason.strip()
        detail = ""
        if action is ActionKind.REFERRAL:
            detail = target.strip()
        elif action is ActionKind.TIMEOUT:
            assert duration is not None
            detail = (ctx.now + duration).isoformat(timespec="minutes")
        elif action is ActionKind.REMOVE_MESSAGE:
            detail = f"concern {concern or (await self.repo.concern_ids(case_id))[0]}"
        first = ActionResult.RECORDED if action is ActionKind.REFERRAL else ActionResult.PENDING
        action_id = await self.repo.add_action(
            case_id, action, reason, detail, ctx.actor.person_id, ctx.now, first
        )
        await self._record(ctx, "case.action", case.ref, kind=action.value, action_id=action_id)
        if action is ActionKind.REFERRAL:
            return action, first
        # The platform only hears "a moderator's decision": a Matrix redaction reason is seen
        # by the whole room and Discord's audit log by its admins, and the real reason is a
        # safeguarding record that belongs on the case.
        result = await self._execute(ctx, action, target, ctx.t("case.platform_reason"), duration)
        await self.repo.set_action_result(action_id, result)
        await self._record(
            ctx, "case.action.result", case.ref, action_id=action_id, result=result.value
        )
        return action, result

    async def _execute(
        self,
        ctx: Context,
        action: ActionKind,
        target: Any,
        reason: str,
        duration: timedelta | None,
    ) -> ActionResult:
        platform = target.platform
        try:
            moderation = self.platform_for(platform).moderation
            if action is ActionKind.REMOVE_MESSAGE:
                await moderation.remove_message(target, reason)
            elif action is ActionKind.TIMEOUT:
                assert duration is not None
                await moderation.timeout(target, ctx.now + duration, reason)
            else:
                await moderation.remove_from_space(target, reason)
        except Exception:
            log.exception("case action %s failed on %s", action.value, platform)
            return ActionResult.FAILED
        return (
            ActionResult.DRY_RUN
            if isinstance(moderation, DryRunModeration)
            else (ActionResult.DONE)
        )

    # -- helpers -------------------------------------------------------------------------

    async def _concerns(self, concern_ids: Iterable[int]) -> list[Any]:
        """The safety feature's view of each concern (None when unknown or purged)."""
        safety = self.services.get("safety")
        ids = list(concern_ids)
        if safety is None:
            return [None] * len(ids)
        return [await safety.get_concern(concern_id) for concern_id in ids]

    async def _labels(self, ctx: Context, person_ids: Iterable[str | None]) -> dict[str, str]:
        """How to show each person here: a mention on this platform, else the pseudonym."""
        labels: dict[str, str] = {}
        for person_id in {p for p in person_ids if p}:
            labels[person_id] = person_id
            for platform, user_id in await self.people.identities(person_id):
                if platform == ctx.room.platform:
                    labels[person_id] = ctx.mention(PersonRef(platform, user_id))
                    break
        return labels


def _object_of(args: Mapping[str, Any]) -> str:
    raw = args.get("case")
    try:
        return case_ref(int(raw)) if raw is not None else CASES_OBJECT
    except (TypeError, ValueError):
        return CASES_OBJECT
