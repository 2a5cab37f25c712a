"""The help desk end to end on a real SQLite file: queue, shift start, claim, hand-over,
close, escalation, transcript, office hours, personal data. The rota and the safety
pipeline are stand-ins (tests/support/helpdesk_fakes.py) until their branches land."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.context import PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.replies import Reply, ReplyKind
from bot.features.helpdesk.model import Status
from bot.settings import DatabaseSettings, Settings
from tests.support.clock import MovableClock
from tests.support.helpdesk_fakes import FakeRoster, FakeSafety, HelpdeskPlatform, message_in

ROOT = Path(__file__).resolve().parents[2]
# Tuesday 20 January 2026, 16:00 in Brussels: inside the example office hours.
OPEN_TIME = datetime(2026, 1, 20, 15, 0, tzinfo=UTC)
LOBBY = RoomRef("recording", "lobby", "Lobby")
MEMBER = frozenset({Role.MEMBER})
WORKER = frozenset({Role.MEMBER, Role.YOUTH_WORKER})
ANN = PersonRef("recording", "ann", "Ann Peeters")
BO = PersonRef("recording", "bo", "Bo")
SAM = PersonRef("recording", "sam", "Sam Janssens")
KIM = PersonRef("recording", "kim", "Kim De Smet")

HOURS = """\
office_hours:
  - days: [mon, tue, wed, thu, fri]
    from: "15:00"
    to: "21:00"
assign_on_shift_start: 2
outreach:
  decline_respected_for: 30d
"""


def config_dir(tmp_path: Path, hours: str = HOURS) -> Path:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    for name in ("framework.yaml", "signposting.yaml"):
        shutil.copy(ROOT / "config" / name, folder / name)
    (folder / "helpdesk.yaml").write_text(hours, encoding="utf-8")
    return folder


class Desk:
    """A running Haven with a recording platform, a fake roster and commands by name."""

    def __init__(self, app: Haven, platform: HelpdeskPlatform, clock: MovableClock) -> None:
        self.app = app
        self.platform = platform
        self.clock = clock
        self.roster = FakeRoster()

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.app.services["helpdesk"]

    async def run(
        self, who: PersonRef, name: str, roles=MEMBER, room: RoomRef = LOBBY, **args
    ) -> Reply:
        command = self.app.registry.get(name)
        assert command is not None, name
        return await self.app.dispatcher.invoke(
            Invocation(command, who, roles, room, args), self.platform
        )

    async def press(self, who: PersonRef, action: str, roles=MEMBER) -> Reply:
        name, _, argument = action.partition(":")
        command = self.app.registry.get(name)
        assert command is not None
        param = command.positionals[0].name
        return await self.run(who, name, roles, **{param: argument})

    async def confirm(self, who: PersonRef, prompt: Reply, roles=WORKER) -> Reply:
        assert prompt.kind is ReplyKind.CONFIRM, prompt.text
        return await self.press(who, prompt.buttons[0].action, roles)

    async def person_id(self, who: PersonRef) -> str:
        return (await self.app.people.ensure_person(who.platform, who.user_id)).person_id


async def open_desk(
    tmp_path: Path, *, at: datetime = OPEN_TIME, hours: str = HOURS, real_rota: bool = False
) -> Desk:
    clock = MovableClock(at)
    settings = Settings(
        database=DatabaseSettings(path=tmp_path / "h.db"),
        framework=config_dir(tmp_path, hours) / "framework.yaml",
    )
    app = Haven(settings, clock=clock)
    await app.open()
    platform = HelpdeskPlatform()
    app.adapters.append(platform)  # type: ignore[arg-type]
    desk = Desk(app, platform, clock)
    if not real_rota:
        app.services["rota"] = desk.roster
    await desk.service.started()
    return desk


@pytest.fixture
async def desk(tmp_path: Path):
    opened = await open_desk(tmp_path)
    yield opened
    await opened.app.close()


async def test_request_waits_in_queue_then_goes_to_the_worker_coming_on_duty(desk: Desk) -> None:
    reply = await desk.run(ANN, "helpme", subject="family", message="Things are hard at home")
    assert reply.private and "#1 is saved" in reply.text and "queue" in reply.text
    assert "Awel" in reply.text or "Tele-Onthaal" in reply.text  # helplines meanwhile
    request = await desk.service.repo.get(1)
    assert request.status is Status.QUEUED and request.first_message == "Things are hard at home"
    assert desk.platform.space_admin.rooms == {}

    queue = await desk.run(SAM, "helpdesk queue", WORKER)
    assert "#1" in queue.text and "Family and home" in queue.text and "hard at home" in queue.text
    refused = await desk.run(ANN, "helpdesk queue")
    assert refused.kind is ReplyKind.ERROR  # members do not see the queue

    sam_id = await desk.person_id(SAM)
    await desk.run(SAM, "ping", WORKER)  # Sam is known to Haven by now
    await desk.roster.start(sam_id)

    request = await desk.service.repo.get(1)
    assert request.status is Status.OPEN and request.worker_person_id == sam_id
    [(room_id, members)] = desk.platform.space_admin.rooms.items()
    assert sorted(members) == ["ann", "sam"] and request.room_id == room_id
    assert desk.platform.space_admin.parents[room_id] == "lobby"
    welcome = desk.platform.texts_in(room_id)[0]
    assert "@ann" in welcome and "@sam" in welcome and "Things are hard at home" in welcome
    actions = [e.action for e in await desk.app.audit.for_object("help1")]
    assert actions == ["helpdesk.ask", "helpdesk.claim"]
    assert "Nobody is waiting" in (await desk.run(SAM, "helpdesk queue", WORKER)).text


async def test_a_worker_on_duty_gets_the_request_at_once(desk: Desk) -> None:
    await desk.run(SAM, "ping", WORKER)
    await desk.roster.start(await desk.person_id(SAM))
    reply = await desk.run(ANN, "helpme", message="Can I talk to someone?")
    assert "with you now" in reply.text
    assert (await desk.service.repo.get(1)).status is Status.OPEN
    again = await desk.run(ANN, "helpme")
    assert again.kind is ReplyKind.ERROR and "already have help request #1" in again.text
    assert await desk.service.repo.get(2) is None  # nothing was stored


async def test_only_as_many_as_configured_are_handed_at_shift_start(desk: Desk) -> None:
    for who in (ANN, BO, KIM):
        await desk.run(who, "helpme")
    await desk.run(SAM, "ping", WORKER)
    await desk.roster.start(await desk.person_id(SAM))
    statuses = [(await desk.service.repo.get(i)).status for i in (1, 2, 3)]
    assert statuses == [Status.OPEN, Status.OPEN, Status.QUEUED]  # oldest first, 2 at most
    assert "1 more help request" in desk.platform.texts_in("dm:sam")[-1]


async def test_claim_and_its_refusals(desk: Desk) -> None:
    await desk.run(ANN, "helpme", subject="school")
    unknown = await desk.run(SAM, "helpdesk claim", WORKER, request="9")
    assert unknown.kind is ReplyKind.ERROR and "no help request #9" in unknown.text
    own = await desk.run(ANN, "helpdesk claim", WORKER, request="1")
    assert own.kind is ReplyKind.ERROR and "your own" in own.text
    claimed = await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    assert "You took help request #1" in claimed.text
    twice = await desk.run(KIM, "helpdesk claim", WORKER, request="1")
    assert twice.kind is ReplyKind.ERROR and "already taken" in twice.text
    assert len(desk.platform.space_admin.rooms) == 1
    assert (await desk.app.audit.for_object("help1"))[-1].actor == await desk.person_id(SAM)


async def test_transcript_of_the_help_room_only(desk: Desk) -> None:
    await desk.run(ANN, "helpme")
    await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    room = (await desk.service.repo.get(1)).room_id
    now = desk.clock.now()
    await desk.app.events.message(message_in(room, ANN, "I feel left out at school", now, 1))
    await desk.app.events.message(message_in(room, SAM, "Tell me more?", now, 2))
    await desk.app.events.message(message_in(room, ANN, "I feel left out at school", now, 1))
    await desk.app.events.message(message_in("lobby", ANN, "hello all", now, 3))
    lines = await desk.service.repo.transcript(1)
    assert [(x.body, x.by_member) for x in lines] == [
        ("I feel left out at school", True),
        ("Tell me more?", False),
    ]
    # A help room is not a screened room, whatever screens messages.
    events = desk.app.events
    assert await events.purpose_of(RoomRef("recording", room)) == "helpdesk"
    assert await events.purpose_of(LOBBY) is None


async def test_handover_to_an_available_worker_with_a_private_note(desk: Desk) -> None:
    await desk.run(ANN, "helpme")
    await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    room = (await desk.service.repo.get(1)).room_id
    note = "Ann talks about exclusion at school; gentle approach"

    not_worker = await desk.run(
        SAM, "helpdesk handover", WORKER, request="1", member=BO, note=note
    )
    assert not_worker.kind is ReplyKind.ERROR and "not on duty or available" in not_worker.text
    to_self = await desk.run(SAM, "helpdesk handover", WORKER, request="1", member=SAM, note=note)
    assert to_self.kind is ReplyKind.ERROR
    to_member = await desk.run(
        SAM, "helpdesk handover", WORKER, request="1", member=ANN, note=note
    )
    assert to_member.kind is ReplyKind.ERROR
    stranger = await desk.run(BO, "helpdesk handover", WORKER, request="1", member=KIM, note=note)
    assert stranger.kind is ReplyKind.ERROR and "another youth worker" in stranger.text
    assert (await desk.service.repo.get(1)).worker_person_id == await desk.person_id(SAM)

    await desk.run(KIM, "outreach available", WORKER)
    done = await desk.run(SAM, "helpdesk handover", WORKER, request="1", member=KIM, note=note)
    assert "now with Kim De Smet" in done.text
    assert desk.platform.space_admin.rooms[room] == ["ann", "sam", "kim"]
    assert note in desk.platform.texts_in("dm:kim")[-1]
    assert all(note not in text for text in desk.platform.texts_in(room))  # never in the room
    assert "@kim joins" in desk.platform.texts_in(room)[-1]
    assert (await desk.service.repo.get(1)).worker_person_id == await desk.person_id(KIM)
    assert [n["note"] for n in await desk.service.repo.notes(1)] == [note]
    assert (await desk.app.audit.for_object("help1"))[-1].action == "helpdesk.handover"


async def test_close_needs_confirmation_and_stops_the_transcript(desk: Desk) -> None:
    await desk.run(ANN, "helpme")
    await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    room = (await desk.service.repo.get(1)).room_id
    bad = await desk.run(SAM, "helpdesk close", WORKER, request="1", result="fixed")
    assert bad.kind is ReplyKind.ERROR and "Choose one of" in bad.text
    other = await desk.run(KIM, "helpdesk close", WORKER, request="1", result="resolved")
    assert other.kind is ReplyKind.ERROR and "another youth worker" in other.text
    prompt = await desk.run(SAM, "helpdesk close", WORKER, request="1", result="referred")
    assert (await desk.service.repo.get(1)).status is Status.OPEN  # not before confirming
    done = await desk.confirm(SAM, prompt)
    assert "closed (referred to a service)" in done.text
    closed = await desk.service.repo.get(1)
    assert closed.status is Status.CLOSED and closed.outcome == "referred"
    assert "closed this conversation" in desk.platform.texts_in(room)[-1]
    await desk.app.events.message(message_in(room, ANN, "one more thing", desk.clock.now(), 9))
    assert await desk.service.repo.transcript(1) == []
    again = await desk.run(SAM, "helpdesk close", WORKER, request="1", result="resolved")
    assert again.kind is ReplyKind.ERROR and "already closed" in again.text
    assert (await desk.app.audit.for_object("help1"))[-1].detail == {"outcome": "referred"}
    # Asking again after a closed request is fine.
    assert "#2" in (await desk.run(ANN, "helpme")).text


async def test_escalation_needs_the_safety_pipeline(desk: Desk) -> None:
    desk.app.services.pop("safety", None)  # as on an installation without the safety feature
    await desk.run(ANN, "helpme", subject="violence")
    await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    room = (await desk.service.repo.get(1)).room_id
    await desk.app.events.message(message_in(room, ANN, "he hits me", desk.clock.now(), 1))
    refused = await desk.run(SAM, "helpdesk escalate", WORKER, request="1", summary="Risk at home")
    assert refused.kind is ReplyKind.ERROR and "safety pipeline is not running" in refused.text
    assert (await desk.service.repo.get(1)).escalated_at is None

    safety = FakeSafety()
    desk.app.services["safety"] = safety
    done = await desk.run(
        SAM, "helpdesk escalate", WORKER, request="1", summary="Risk at home", severity="urgent"
    )
    assert "waiting for a moderator" in done.text
    [call] = safety.raised
    assert call["source"] == "helpdesk" and call["subject_person_id"] == await desk.person_id(ANN)
    assert call["excerpt"] == "Risk at home" and call["severity"] == "urgent"
    assert call["raised_by"] == await desk.person_id(SAM) and call["link"] == f"https://x/{room}/1"
    assert (await desk.service.repo.get(1)).concern_ref == "1"
    twice = await desk.run(SAM, "helpdesk escalate", WORKER, request="1", summary="again")
    assert twice.kind is ReplyKind.ERROR and len(safety.raised) == 1
    assert (await desk.app.audit.for_object("help1"))[-1].action == "helpdesk.escalate"


async def test_outside_office_hours_the_member_is_told_when_it_opens(tmp_path: Path) -> None:
    # Sunday 25 January 2026, 22:00 in Brussels.
    desk = await open_desk(tmp_path, at=datetime(2026, 1, 25, 21, 0, tzinfo=UTC))
    try:
        desk.roster.next = datetime(2026, 1, 26, 16, 30, tzinfo=UTC)
        reply = await desk.run(ANN, "helpme")
        assert "closed now" in reply.text and "Monday 26 January, 15:00" in reply.text
        assert "expected on Monday 26 January, 17:30" in reply.text
        await desk.run(BO, "language", language="nl")
        dutch = await desk.run(BO, "helpme")
        assert "gesloten" in dutch.text and "maandag 26 januari, 15:00" in dutch.text
        await desk.run(KIM, "language", language="fr")
        french = await desk.run(KIM, "helpme")
        assert "fermé" in french.text and "lundi 26 janvier, 15:00" in french.text
        assert [r.request_id for r in await desk.service.repo.queued()] == [1, 2, 3]
    finally:
        await desk.app.close()


async def test_the_queue_survives_a_restart(tmp_path: Path) -> None:
    desk = await open_desk(tmp_path)
    await desk.run(ANN, "helpme", message="please")
    await desk.app.close()
    desk = await open_desk(tmp_path)
    try:
        [waiting] = await desk.service.repo.queued()
        assert waiting.first_message == "please" and waiting.status is Status.QUEUED
        claimed = await desk.run(SAM, "helpdesk claim", WORKER, request="1")
        assert "You took" in claimed.text
    finally:
        await desk.app.close()


async def test_resources_by_topic_in_the_member_language(desk: Desk) -> None:
    suicide = await desk.run(ANN, "resources", subject="suicide")
    assert "Zelfmoordlijn 1813" in suicide.text and "Centre de Prévention" in suicide.text
    await desk.run(BO, "language", language="fr")
    french = await desk.run(BO, "resources", subject="suicide")
    assert "Pensées suicidaires" in french.text
    assert french.text.index("0800 32 123") < french.text.index("Zelfmoordlijn")  # French first
    general = await desk.run(ANN, "resources")
    assert "Tele-Onthaal" in general.text and "Family and home" in general.text
    bad = await desk.run(ANN, "resources", subject="aliens")
    assert bad.kind is ReplyKind.ERROR


async def test_personal_data_export_and_erase_keeps_held_escalations(desk: Desk) -> None:
    await desk.run(ANN, "helpme", message="first")
    await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    room = (await desk.service.repo.get(1)).room_id
    now = desk.clock.now()
    await desk.app.events.message(message_in(room, ANN, "mine", now, 1))
    await desk.app.events.message(message_in(room, SAM, "worker's", now, 2))
    await desk.run(KIM, "outreach available", WORKER)
    await desk.run(SAM, "helpdesk handover", WORKER, request="1", member=KIM, note="internal")
    source = next(s for s in desk.app.personal_data if s.name == "helpdesk")
    ann_id = await desk.person_id(ANN)
    exported = await source.export(ann_id)
    [request] = exported["help_requests"]
    assert request["first_message"] == "first"
    assert [x["text"] for x in request["you_wrote"]] == ["mine"]
    assert "internal" not in repr(exported) and "worker's" not in repr(exported)

    desk.app.services["safety"] = FakeSafety()
    await desk.run(KIM, "helpdesk escalate", WORKER, request="1", summary="worry")
    held: set[str] = {ann_id}

    async def hold() -> set[str]:
        return held

    desk.app.legal_holds.append(hold)
    kept = await source.erase(ann_id, now)
    assert [k.args for k in kept] == [{"id": 1}] and await desk.service.repo.get(1) is not None
    held.clear()

    concerns = {1}

    class Cases:  # the concern (id 1) is part of an open case
        async def held_concern_ids(self) -> set[int]:
            return concerns

    desk.app.services["cases"] = Cases()
    assert len(await source.erase(ann_id, now)) == 1
    concerns.clear()
    assert await source.erase(ann_id, now) == []
    assert await desk.service.repo.get(1) is None
    assert await desk.service.repo.transcript(1) == []


async def test_purge_closes_old_rooms_and_deletes_them(desk: Desk) -> None:
    await desk.run(ANN, "helpme")
    await desk.run(SAM, "helpdesk claim", WORKER, request="1")
    room = (await desk.service.repo.get(1)).room_id
    await desk.confirm(SAM, await desk.run(SAM, "helpdesk close", WORKER, request="1",
                                           result="resolved"))  # fmt: skip
    await desk.run(BO, "helpme")  # still queued: never purged by age
    retention = desk.app.services["retention"]
    counts = await retention.purge(desk.clock.now() + timedelta(days=100))
    assert counts["help_request"] == 0
    counts = await retention.purge(desk.clock.now() + timedelta(days=200))
    assert counts["help_request"] == 1 and desk.platform.space_admin.closed == [room]
    assert await desk.service.repo.get(1) is None and await desk.service.repo.get(2) is not None
    assert await desk.app.events.purpose_of(RoomRef("recording", room)) is None


async def test_a_first_word_naming_a_topic_is_the_topic(desk: Desk) -> None:
    await desk.run(ANN, "helpme", message="school they laugh at me")
    await desk.run(BO, "helpme", message="Is anyone there?")
    first, second = await desk.service.repo.get(1), await desk.service.repo.get(2)
    assert (first.topic, first.first_message) == ("school", "they laugh at me")
    assert (second.topic, second.first_message) == ("other", "Is anyone there?")


async def test_with_the_real_rota_oncall_start_hands_over_the_queue(tmp_path: Path) -> None:
    desk = await open_desk(tmp_path, real_rota=True)
    try:
        await desk.run(ANN, "helpme", message="anyone?")
        assert (await desk.service.repo.get(1)).status is Status.QUEUED
        started = await desk.run(SAM, "oncall start", WORKER)
        assert started.kind is ReplyKind.INFO, started.text
        request = await desk.service.repo.get(1)
        assert request.status is Status.OPEN and request.worker_person_id == await desk.person_id(
            SAM
        )
        reply = await desk.run(BO, "helpme")  # Sam is on duty: straight to a room
        assert "with you now" in reply.text
        await desk.run(SAM, "oncall stop", WORKER)
        assert "saved" in (await desk.run(KIM, "helpme")).text
        assert (await desk.service.repo.get(3)).status is Status.QUEUED
    finally:
        await desk.app.close()


async def test_a_failing_platform_leaves_the_request_queued(desk: Desk) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("platform down")

    desk.platform.space_admin.open_private_room = broken  # type: ignore[method-assign]
    await desk.run(SAM, "outreach available", WORKER)
    reply = await desk.run(ANN, "helpme", message="still there?")
    assert reply.kind is ReplyKind.INFO and "#1 is saved" in reply.text
    assert (await desk.service.repo.get(1)).status is Status.QUEUED
