"""Case files end to end: real SQLite, the dispatcher, a recording platform, dry-run moderation."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Haven
from bot.core.capabilities import DEFAULT_ROLE_CAPABILITIES, Capability, CapabilityPolicy, Role
from bot.core.context import PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.dry_run import PlannedAction
from bot.core.errors import UserError
from bot.core.replies import Reply, ReplyKind
from bot.features.cases.model import ActionKind, ActionResult
from bot.features.cases.states import CaseState, TransitionError, move
from bot.features.cases.states import reopen as reopened
from bot.settings import DatabaseSettings, Settings
from tests.support.cases_fakes import FakeSafety, ModeratedRecordingPlatform
from tests.support.clock import MovableClock

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DECISION = "A moderator's decision."  # all the platform hears; the reason stays on the case
ROOM = RoomRef("recording", "mods", "moderators")
MOD = PersonRef("recording", "mod", "Mo")
MOD2 = PersonRef("recording", "mod2", "Max")
COORD = PersonRef("recording", "coord", "Cora")
WORKER = PersonRef("recording", "worker", "Wes")
BOB = PersonRef("recording", "bob", "Bob")
ROLES = {
    "mod": frozenset({Role.MODERATOR}),
    "mod2": frozenset({Role.MODERATOR}),
    "coord": frozenset({Role.COORDINATOR}),
    "worker": frozenset({Role.YOUTH_WORKER}),
    "bob": frozenset({Role.MEMBER}),
}


class World:
    """The app with its fakes, a timeline of audit entries and replies, and helpers."""

    def __init__(self, app: Haven, clock: MovableClock) -> None:
        self.app = app
        self.clock = clock
        self.platform = ModeratedRecordingPlatform()
        app.adapters.append(self.platform)  # type: ignore[arg-type]
        self.safety = FakeSafety()
        app.services["safety"] = self.safety
        self.service = app.services["cases"]
        self.timeline: list[tuple[str, str]] = []
        original = app.audit.record

        async def record(at: datetime, actor: str, action: str, obj: str, **detail: Any) -> None:
            await original(at, actor, action, obj, **detail)
            self.timeline.append(("audit", f"{action} {obj}"))

        app.audit.record = record  # type: ignore[method-assign]

    async def run(
        self, who: PersonRef, name: str, roles: frozenset[Role] | None = None, **args: Any
    ) -> Reply:
        command = self.app.registry.get(name)
        assert command is not None, name
        roles = ROLES[who.user_id] if roles is None else roles
        reply = await self.app.dispatcher.invoke(
            Invocation(command, who, roles, ROOM, args), self.platform
        )
        self.timeline.append(("reply", name))
        return reply

    async def confirm(self, who: PersonRef, prompt: Reply) -> Reply:
        assert prompt.kind is ReplyKind.CONFIRM, prompt.text
        code = prompt.buttons[0].action.split(":")[1]
        return await self.run(who, "confirm", code=code)

    async def person(self, who: PersonRef) -> str:
        return (await self.app.people.ensure_person(who.platform, who.user_id)).person_id

    async def open_case(self, *concerns: int, subject: PersonRef | None = BOB) -> int:
        subject_id = await self.person(subject) if subject else None
        for concern in concerns:
            if concern not in self.safety.concerns:
                self.safety.add(concern, subject=subject_id, at=self.clock.now())
        return await self.service.open_case(
            concern_ids=list(concerns), opened_by=await self.person(MOD), at=self.clock.now()
        )

    async def audit(self, obj: str) -> list[Any]:
        return await self.app.audit.for_object(obj)

    @property
    def planned(self) -> list[PlannedAction]:
        return self.platform.moderation.planned


@pytest.fixture
async def world(tmp_path: Path):
    clock = MovableClock(T0)
    app = Haven(Settings(database=DatabaseSettings(path=tmp_path / "h.db")), clock=clock)
    await app.open()
    yield World(app, clock)
    await app.close()


# -- the API the safety feature calls ----------------------------------------------------


async def test_open_case_takes_the_subject_from_the_concern_and_never_twice(world: World):
    case_id = await world.open_case(7)
    bob = await world.person(BOB)
    case = await world.service.repo.get(case_id)
    assert case.state is CaseState.NEW and case.subject_person_id == bob
    assert await world.service.held_concern_ids() == {7}
    assert await world.service.held_person_ids() == {bob}
    # Pressing "open case" again (with one more concern) links it to the same open case.
    world.safety.add(8, subject=bob, at=T0)
    again = await world.service.open_case(concern_ids=[7, 8], opened_by=bob, at=T0)
    assert again == case_id and await world.service.repo.concern_ids(case_id) == [7, 8]
    assert [e.action for e in await world.audit(f"case:{case_id}")] == [
        "case.open", "case.link",
    ]  # fmt: skip
    # Neither opening nor linking ever takes a consequential action.
    assert world.planned == []


async def test_link_concern_refuses_unknown_and_closed_cases(world: World):
    with pytest.raises(UserError) as caught:
        await world.service.link_concern(99, 1, "p_x", T0)
    assert caught.value.key == "case.error.not_found"
    case_id = await world.open_case(1)
    await world.run(MOD, "case state", case=str(case_id), state="triaged")
    await world.confirm(MOD, await world.run(MOD, "case close", case=str(case_id), outcome="ok"))
    with pytest.raises(UserError) as caught:
        await world.service.link_concern(case_id, 2, "p_x", T0)
    assert caught.value.key == "case.error.closed"
    assert await world.service.held_concern_ids() == set()
    assert await world.service.held_person_ids() == set()


# -- reading, audited before anything is shown ---------------------------------------------


async def test_show_has_everything_and_is_audited_before_the_reply(world: World):
    case_id = await world.open_case(3)
    await world.run(MOD, "case note", case=str(case_id), text="Talked to the youth worker.")
    await world.run(MOD, "case assign", case=str(case_id), member=MOD2)
    world.timeline.clear()

    reply = await world.run(MOD2, "case show", case=str(case_id))

    assert reply.kind is ReplyKind.INFO and reply.private
    text = reply.text
    assert f"Case #{case_id} · new" in text
    assert "About: @bob" in text and "Assigned to: @mod2" in text
    assert "Talked to the youth worker." in text and "a worrying message" in text
    assert "#3 detector · high · hostility · open" in text
    entries = await world.audit(f"case:{case_id}")
    show = entries[-1]
    assert show.action == "case.show" and show.actor == await world.person(MOD2)
    assert show.detail["via"] == "case show" and show.detail["purpose"] == "safeguarding"
    assert world.timeline == [("audit", f"case.show case:{case_id}"), ("reply", "case show")]


async def test_when_the_audit_cannot_be_written_nothing_is_shown(world: World):
    case_id = await world.open_case(3)
    await world.run(MOD, "case note", case=str(case_id), text="secret note text")

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit storage down")

    world.app.audit.record = broken  # type: ignore[method-assign]
    reply = await world.run(MOD, "case show", case=str(case_id))
    listed = await world.run(MOD, "case list")
    assert reply.kind is ReplyKind.ERROR and "secret note text" not in reply.text
    assert listed.kind is ReplyKind.ERROR and f"#{case_id}" not in listed.text


async def test_list_filters_by_state_and_mine_and_is_audited(world: World):
    first = await world.open_case(1)
    second = await world.open_case(2, subject=None)
    await world.run(MOD, "case assign", case=str(second), member=MOD)
    await world.run(MOD, "case state", case=str(first), state="triaged")
    await world.confirm(MOD, await world.run(MOD, "case close", case=str(first), outcome="ok"))
    world.timeline.clear()

    open_list = await world.run(MOD, "case list")
    closed = await world.run(MOD, "case list", state="closed")
    mine = await world.run(MOD, "case list", mine=True)
    nothing = await world.run(MOD2, "case list", mine=True)

    assert open_list.private and f"#{second} new" in open_list.text
    assert f"#{first} " not in open_list.text
    assert f"#{first} closed" in closed.text and f"#{second} " not in closed.text
    assert f"#{second} new" in mine.text and "assigned to @mod" in mine.text
    assert nothing.text == "No cases match."
    entries = await world.audit("cases")
    assert [e.action for e in entries] == ["case.list"] * 4
    assert entries[0].detail["cases"] == [second] and entries[1].detail["state"] == "closed"
    assert world.timeline[0] == ("audit", "case.list cases")


# -- refusals: localised, change nothing, audited -------------------------------------------


async def test_a_member_and_a_youth_worker_are_refused_and_audited(world: World):
    case_id = await world.open_case(1)
    for who in (BOB, WORKER):
        shown = await world.run(who, "case show", case=str(case_id))
        listed = await world.run(who, "case list")
        noted = await world.run(who, "case note", case=str(case_id), text="hello")
        for reply in (shown, listed, noted):
            assert reply.kind is ReplyKind.ERROR and reply.text.startswith("You are not allowed")
    assert await world.service.repo.notes(case_id) == []
    refused = [e for e in await world.audit(f"case:{case_id}") if e.action == "case.refused"]
    assert [(e.actor, e.detail["via"]) for e in refused] == [
        (await world.person(BOB), "case show"), (await world.person(BOB), "case note"),
        (await world.person(WORKER), "case show"), (await world.person(WORKER), "case note"),
    ]  # fmt: skip
    assert [e.detail["refusal"] for e in await world.audit("cases")] == ["error.no_permission"] * 2


async def test_the_framework_keeps_a_youth_worker_out_even_with_the_capability(world: World):
    generous = dict(DEFAULT_ROLE_CAPABILITIES)
    generous[Role.YOUTH_WORKER] = generous[Role.YOUTH_WORKER] | {
        Capability.VIEW_CASES, Capability.MODERATE,
    }  # fmt: skip
    world.app.dispatcher.policy = CapabilityPolicy(generous)
    case_id = await world.open_case(1)
    shown = await world.run(WORKER, "case show", case=str(case_id))
    noted = await world.run(WORKER, "case note", case=str(case_id), text="hello")
    assert shown.kind is ReplyKind.ERROR and "framework does not let your role" in shown.text
    assert noted.kind is ReplyKind.ERROR and await world.service.repo.notes(case_id) == []
    refused = [e for e in await world.audit(f"case:{case_id}") if e.action == "case.refused"]
    assert {e.detail["refusal"] for e in refused} == {"case.error.not_reader"}
    assert len(refused) == 2


async def test_unknown_case_is_refused_and_audited(world: World):
    reply = await world.run(MOD, "case show", case="42")
    assert reply.kind is ReplyKind.ERROR and reply.text == "There is no case #42."
    (entry,) = await world.audit("case:42")
    assert entry.action == "case.refused" and entry.detail["refusal"] == "case.error.not_found"


# -- the state machine through commands ---------------------------------------------------


async def test_states_follow_the_machine_and_closing_needs_confirmation(world: World):
    case_id = await world.open_case(1)
    c = str(case_id)
    wrong = await world.run(MOD, "case state", case=c, state="referred")
    assert wrong.kind is ReplyKind.ERROR and wrong.text == "A case cannot go from new to referred."
    assert (await world.service.repo.get(case_id)).state is CaseState.NEW

    assert (await world.run(MOD, "case state", case=c, state="triaged")).text == (
        f"Case #{case_id} is now triaged."
    )
    await world.run(MOD, "case state", case=c, state="in_progress")
    prompt = await world.run(MOD, "case close", case=c, outcome="Resolved with the family.")
    assert prompt.kind is ReplyKind.CONFIRM and f"Close case #{case_id}?" in prompt.text
    assert "Resolved with the family." not in prompt.text  # prompts stay in the room (Matrix)
    assert (await world.service.repo.get(case_id)).state is CaseState.IN_PROGRESS
    world.clock.advance(timedelta(minutes=5))
    done = await world.confirm(MOD, prompt)
    assert done.text == f"Case #{case_id} is closed."
    case = await world.service.repo.get(case_id)
    assert case.state is CaseState.CLOSED and case.outcome == "Resolved with the family."
    assert case.closed_at == T0 + timedelta(minutes=5)

    # Closed is final for moderators: no notes, no state, no reopen.
    note = await world.run(MOD, "case note", case=c, text="late")
    again = await world.run(MOD, "case state", case=c, state="triaged")
    reopen = await world.run(MOD, "case reopen", case=c, reason="new facts")
    assert note.text.startswith(f"Case #{case_id} is closed")
    assert again.kind is ReplyKind.ERROR and reopen.kind is ReplyKind.ERROR
    assert reopen.text == "Only a coordinator can reopen a closed case."
    assert await world.service.repo.notes(case_id) == []

    # A coordinator may reopen; it goes back to triaged and the reason becomes a note.
    prompt = await world.run(COORD, "case reopen", case=c, reason="new facts")
    assert (await world.confirm(COORD, prompt)).kind is ReplyKind.INFO
    case = await world.service.repo.get(case_id)
    assert case.state is CaseState.TRIAGED and case.closed_at is None
    assert [n.text for n in await world.service.repo.notes(case_id)] == ["new facts"]
    history = [e.kind for e in await world.service.repo.events(case_id)]
    assert history == ["open", "link", "state", "state", "state", "reopen"]
    actions = [e.action for e in await world.audit(f"case:{case_id}")]
    assert actions.count("case.refused") == 4 and actions[-1] == "case.reopen"


async def test_assigning_the_subject_is_refused(world: World):
    case_id = await world.open_case(1)
    reply = await world.run(MOD, "case assign", case=str(case_id), member=BOB)
    assert reply.kind is ReplyKind.ERROR
    assert (await world.service.repo.get(case_id)).assignee_person_id is None


# -- consequential actions ------------------------------------------------------------------


async def test_timeout_needs_a_reason_and_a_confirmed_decision(world: World):
    case_id = await world.open_case(1)
    c = str(case_id)
    no_reason = await world.run(MOD, "case action", case=c, kind="timeout", duration="1h")
    no_duration = await world.run(MOD, "case action", case=c, kind="timeout", reason="threats")
    too_long = await world.run(
        MOD, "case action", case=c, kind="timeout", reason="threats", duration="40d"
    )
    assert no_reason.text == "Give the reason for this decision with --reason."
    assert no_duration.kind is ReplyKind.ERROR and too_long.kind is ReplyKind.ERROR
    prompt = await world.run(
        MOD, "case action", case=c, kind="timeout", reason="threats", duration="1h"
    )
    assert prompt.kind is ReplyKind.CONFIRM and "“timeout” on case" in prompt.text
    assert "threats" not in prompt.text  # the reason is not echoed where others may read it
    cancel = prompt.buttons[1].action.split(":")[1]
    await world.run(MOD, "cancel", code=cancel)
    assert world.planned == [] and await world.service.repo.actions(case_id) == []

    prompt = await world.run(
        MOD, "case action", case=c, kind="timeout", reason="threats", duration="1h"
    )
    world.timeline.clear()
    done = await world.confirm(MOD, prompt)

    assert done.private and "rehearsed only (dry run)" in done.text
    assert world.planned == [PlannedAction("timeout", "bob", DECISION, T0 + timedelta(hours=1))]
    (action,) = await world.service.repo.actions(case_id)
    assert action.kind is ActionKind.TIMEOUT and action.reason == "threats"
    assert action.decided_by == await world.person(MOD) and action.at == T0
    assert action.result is ActionResult.DRY_RUN
    assert world.timeline == [
        ("audit", f"case.action case:{case_id}"),
        ("audit", f"case.action.result case:{case_id}"),
        ("reply", "confirm"),
    ]
    shown = await world.run(MOD, "case show", case=c)
    assert "timeout by @mod (rehearsed only (dry run)): threats" in shown.text


async def test_a_decision_is_checked_again_when_confirmed(world: World):
    case_id = await world.open_case(1)
    c = str(case_id)
    prompt = await world.run(
        MOD, "case action", case=c, kind="remove_from_space", reason="repeated threats"
    )
    # Meanwhile someone else closes the case: confirming now must do nothing.
    await world.run(MOD2, "case state", case=c, state="triaged")
    await world.confirm(MOD2, await world.run(MOD2, "case close", case=c, outcome="handled"))
    late = await world.confirm(MOD, prompt)
    assert late.kind is ReplyKind.ERROR and late.text.startswith(f"Case #{case_id} is closed")
    assert world.planned == [] and await world.service.repo.actions(case_id) == []


async def test_remove_message_takes_the_concerns_message(world: World):
    case_id = await world.open_case(1, 2)
    c = str(case_id)
    unclear = await world.run(MOD, "case action", case=c, kind="remove_message", reason="hate")
    assert unclear.kind is ReplyKind.ERROR and "--concern" in unclear.text
    other = await world.run(
        MOD, "case action", case=c, kind="remove_message", reason="hate", concern="9"
    )
    assert other.text == f"Concern #9 is not linked to case #{case_id}."
    prompt = await world.run(
        MOD, "case action", case=c, kind="remove_message", reason="hate", concern="2"
    )
    await world.confirm(MOD, prompt)
    assert world.planned == [PlannedAction("remove_message", "m-flagged", DECISION)]
    (action,) = await world.service.repo.actions(case_id)
    assert action.detail == "concern 2" and action.result is ActionResult.DRY_RUN
    # A concern without a message (e.g. a report from the help desk) has nothing to remove.
    world.safety.add(4, subject=None, at=T0, message_id=None)
    bare = await world.open_case(4)
    none = await world.run(MOD, "case action", case=str(bare), kind="remove_message", reason="x")
    assert none.text == "Concern #4 is unknown or no longer kept."


async def test_remove_from_space_and_referral(world: World):
    case_id = await world.open_case(1)
    c = str(case_id)
    await world.confirm(
        MOD,
        await world.run(MOD, "case action", case=c, kind="remove_from_space", reason="threats"),
    )
    no_partner = await world.run(MOD, "case action", case=c, kind="referral", reason="support")
    assert no_partner.text == "Name the partner or service with --partner."
    done = await world.confirm(
        MOD,
        await world.run(
            MOD, "case action", case=c, kind="referral", reason="support", partner="CAW Mechelen"
        ),
    )
    assert "recorded" in done.text
    # The referral made no platform call; the removal did (dry run).
    assert world.planned == [PlannedAction("remove_from_space", "bob", DECISION)]
    kinds = [(a.kind, a.detail, a.result) for a in await world.service.repo.actions(case_id)]
    assert kinds == [
        (ActionKind.REMOVE_FROM_SPACE, "", ActionResult.DRY_RUN),
        (ActionKind.REFERRAL, "CAW Mechelen", ActionResult.RECORDED),
    ]


async def test_an_action_needs_a_subject_on_this_platform(world: World):
    case_id = await world.open_case(1, subject=None)
    reply = await world.run(MOD, "case action", case=str(case_id), kind="timeout",
                            reason="x", duration="1h")  # fmt: skip
    assert reply.text == f"Case #{case_id} is not about a known person."
    # A subject only known on another platform cannot be timed out from here.
    other = await world.app.people.ensure_person("elsewhere", "bob-elsewhere")
    moved = await world.service.open_case(
        concern_ids=[5], opened_by="p_m", at=T0, subject_person_id=other.person_id
    )
    elsewhere = await world.run(MOD, "case action", case=str(moved), kind="timeout",
                                reason="x", duration="1h")  # fmt: skip
    assert "not known on this platform" in elsewhere.text and world.planned == []


async def test_a_failed_action_is_recorded_as_failed(world: World):
    case_id = await world.open_case(1)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("platform down")

    world.platform.moderation.timeout = broken  # type: ignore[method-assign]
    done = await world.confirm(
        MOD,
        await world.run(MOD, "case action", case=str(case_id), kind="timeout", reason="x",
                        duration="10m"),
    )  # fmt: skip
    assert "failed" in done.text
    (action,) = await world.service.repo.actions(case_id)
    assert action.result is ActionResult.FAILED


# -- retention and personal data ------------------------------------------------------------


async def test_purge_removes_closed_cases_past_retention_only(world: World):
    old_closed = await world.open_case(1)
    await world.run(MOD, "case note", case=str(old_closed), text="old note")
    await world.run(MOD, "case state", case=str(old_closed), state="triaged")
    await world.confirm(MOD, await world.run(MOD, "case close", case=str(old_closed),
                                             outcome="done"))  # fmt: skip
    old_open = await world.open_case(2)
    world.clock.advance(timedelta(days=700))
    recent_closed = await world.open_case(3)
    await world.run(MOD, "case state", case=str(recent_closed), state="triaged")
    await world.confirm(MOD, await world.run(MOD, "case close", case=str(recent_closed),
                                             outcome="done"))  # fmt: skip

    counts = await world.app.services["retention"].purge(T0 + timedelta(days=740))

    repo = world.service.repo
    assert counts["case_file"] == 1
    assert await repo.get(old_closed) is None and await repo.notes(old_closed) == []
    assert await repo.concern_ids(old_closed) == []
    assert await repo.get(old_open) is not None and await repo.get(recent_closed) is not None


async def test_mydata_export_tells_the_subject_that_a_case_exists_and_nothing_more(world: World):
    case_id = await world.open_case(1)
    await world.run(MOD, "case note", case=str(case_id), text="staff-only note")
    source = next(s for s in world.app.personal_data if s.name == "cases")
    bob = await world.person(BOB)

    exported = await source.export(bob)

    assert exported == {
        "cases_about_you": [
            {"case": case_id, "state": "new", "opened_at": T0.isoformat(), "closed_at": None}
        ]
    }
    assert "staff-only note" not in repr(exported) and "detector" not in repr(exported)
    staff = await source.export(await world.person(MOD))
    assert staff == {
        "your_work_on_cases": {"notes_written": 1, "actions_decided": 0, "cases_assigned": 0}
    }


async def test_mydata_erase_keeps_cases_and_says_until_when(world: World):
    open_id = await world.open_case(1)
    closed_id = await world.open_case(2)
    await world.run(MOD, "case state", case=str(closed_id), state="triaged")
    await world.confirm(MOD, await world.run(MOD, "case close", case=str(closed_id),
                                             outcome="done"))  # fmt: skip
    source = next(s for s in world.app.personal_data if s.name == "cases")
    bob = await world.person(BOB)

    kept = await source.erase(bob, T0 + timedelta(days=1))

    assert [(k.why_key, k.until, k.args) for k in kept] == [
        ("case.kept.open", None, {"case": open_id}),
        ("case.kept.closed", T0 + timedelta(days=730), {"case": closed_id}),
    ]
    assert all(k.data_class == "case_files" for k in kept)
    assert await world.service.repo.get(open_id) is not None
    assert await world.service.repo.get(closed_id) is not None
    holds = [await hold() for hold in world.app.legal_holds]
    assert any(bob in held for held in holds)


async def test_losing_the_role_before_confirming_is_refused_and_audited(world: World):
    case_id = await world.open_case(1)
    prompt = await world.run(
        MOD, "case action", case=str(case_id), kind="timeout", reason="threats", duration="1h"
    )
    code = prompt.buttons[0].action.split(":")[1]
    # The moderator role was taken away (on the platform) before they confirmed.
    late = await world.run(MOD, "confirm", roles=frozenset({Role.MEMBER}), code=code)
    assert late.kind is ReplyKind.ERROR and late.text.startswith("You are not allowed")
    assert world.planned == [] and await world.service.repo.actions(case_id) == []
    (refused,) = [e for e in await world.audit(f"case:{case_id}") if e.action == "case.refused"]
    assert refused.detail["via"] == "case action" and refused.actor == await world.person(MOD)


def test_only_the_confirmed_command_takes_consequential_actions(world: World):
    action = world.app.registry.get("case action")
    assert action is not None and action.confirm_key == "case.action.confirm"
    assert action.capability is Capability.MODERATE
    commands = world.app.registry.in_group("case")
    assert len(commands) == 9 and all(c.private and c.discreet for c in commands)


async def test_random_sessions_audit_every_answer_and_follow_the_state_machine(world: World):
    """Random commands by random people: every answer but a prompt left an audit entry
    first, and each case's stored state is what the pure state machine says."""
    S = CaseState
    rng = random.Random(20260302)
    cases = [await world.open_case(n) for n in (1, 2, 3)]
    model = dict.fromkeys(cases, S.NEW)
    staff = {"mod": MOD, "coord": COORD}
    for _step in range(150):
        who = rng.choice([MOD, MOD, COORD, BOB, WORKER])
        case_id = rng.choice(cases)
        c = str(case_id)
        choice = rng.choice(["show", "list", "note", "state", "close", "reopen", "refer"])
        before = len(await world.app.db.fetch("SELECT seq FROM audit_event"))
        if choice == "show":
            reply = await world.run(who, "case show", case=c)
        elif choice == "list":
            reply = await world.run(who, "case list")
        elif choice == "note":
            reply = await world.run(who, "case note", case=c, text="n")
        elif choice == "state":
            target = rng.choice(["triaged", "in_progress", "referred"])
            reply = await world.run(who, "case state", case=c, state=target)
            if who.user_id in staff:
                with contextlib.suppress(TransitionError):
                    model[case_id] = move(model[case_id], S(target))
        else:
            name, arg = {
                "close": ("case close", {"outcome": "o"}),
                "reopen": ("case reopen", {"reason": "r"}),
                "refer": ("case action", {"kind": "referral", "reason": "r", "partner": "P"}),
            }[choice]
            reply = await world.run(who, name, case=c, **arg)
            if reply.kind is ReplyKind.CONFIRM:
                reply = await world.confirm(who, reply)
                if choice == "close":
                    model[case_id] = move(model[case_id], S.CLOSED)
                elif choice == "reopen":
                    model[case_id] = reopened(model[case_id])
        after = len(await world.app.db.fetch("SELECT seq FROM audit_event"))
        assert reply.kind is not ReplyKind.CONFIRM
        assert after > before, (choice, who.user_id, reply.text)
        for cid, state in model.items():
            assert (await world.service.repo.get(cid)).state is state
    # The walk did reach the interesting places.
    events = {e.kind for cid in cases for e in await world.service.repo.events(cid)}
    assert {"state", "reopen"} <= events
