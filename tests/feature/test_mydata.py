"""`mydata export` / `mydata erase` and the privacy notice, on a real SQLite file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.context import PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.events import MemberJoined
from bot.core.personal_data import KeptData
from bot.core.replies import Reply, ReplyKind
from bot.features.tournaments import brackets
from bot.features.tournaments.model import Format
from bot.features.tournaments.repository import PlayerState
from bot.settings import DatabaseSettings, Settings
from bot.storage.platform_state_repository import PlatformStateRepository
from tests.support.clock import MovableClock
from tests.support.recording_platform import RecordingPlatform

T0 = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
ALICE = PersonRef("recording", "u-alice", "Alice")
ALICE_OTHER = PersonRef("other", "o-alice", "Alice")  # the same person on a second platform
BOB = PersonRef("recording", "u-bob", "Bob")
LOBBY = RoomRef("recording", "lobby", "Lobby")
MEMBER = frozenset({Role.MEMBER})


@dataclass
class FakeSource:
    """Another feature's source: one held item, one erasable item per person."""

    name: str = "fake"
    items: dict[str, list[str]] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)

    async def export(self, person_id: str) -> dict[str, Any]:
        return {"items": list(self.items.get(person_id, []))}

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        kept = [i for i in self.items.get(person_id, []) if i in self.held]
        self.items[person_id] = kept
        return [
            KeptData("case_files", "privacy.kept.identity", "privacy.why.legal_hold", None)
            for _ in kept
        ]


@pytest.fixture
async def app(tmp_path: Path):
    clock = MovableClock(T0)
    haven = Haven(Settings(database=DatabaseSettings(path=tmp_path / "h.db")), clock=clock)
    await haven.open()
    platform = RecordingPlatform()
    haven.adapters.append(platform)  # type: ignore[arg-type]
    haven.clock_ = clock  # type: ignore[attr-defined]
    haven.recording = platform  # type: ignore[attr-defined]
    haven.holds_ = set()  # type: ignore[attr-defined]

    async def hold() -> set[str]:
        return set(haven.holds_)  # type: ignore[attr-defined]

    haven.legal_holds.append(hold)
    yield haven
    haven.adapters.clear()
    await haven.close()


async def run(app: Haven, who: PersonRef, name: str, roles=MEMBER, **args: Any) -> Reply:
    command = app.registry.get(name)
    assert command is not None, name
    invocation = Invocation(command, who, roles, LOBBY, args)
    reply = await app.dispatcher.invoke(invocation, app.recording)  # type: ignore[attr-defined]
    await app.services["notices"].drain()  # a notice goes out beside the answer
    return reply


async def confirm(app: Haven, who: PersonRef, prompt: Reply) -> Reply:
    """Confirm a prompt; for an erasure, the details the person got privately."""
    assert prompt.kind is ReplyKind.CONFIRM, prompt.text
    code = next(b.action for b in prompt.buttons if b.action.startswith("confirm:"))
    before = len(dms(app, who))
    answer = await run(app, who, "confirm", code=code.split(":", 1)[1])
    assert answer.private
    [details] = dms(app, who)[before:]
    assert answer.text != details.text and details.private
    return details


def dms(app: Haven, who: PersonRef) -> list[Reply]:
    return [r for room, r in app.recording.sent if room == f"dm:{who.user_id}"]  # type: ignore


def notices(app: Haven, who: PersonRef) -> list[Reply]:
    notice = app.services["framework"].notices["en"]
    return [r for r in dms(app, who) if notice in r.text]


async def pid(app: Haven, who: PersonRef) -> str:
    return (await app.people.ensure_person(who.platform, who.user_id)).person_id


async def link(app: Haven, who: PersonRef, other: PersonRef) -> None:
    """Link a second platform account to the same person (as an account merge would)."""
    await app.db.execute(
        "INSERT INTO identity (platform, platform_user_id, person_id, created_at) "
        "VALUES ($1, $2, $3, $4)",
        other.platform,
        other.user_id,
        await pid(app, who),
        T0.isoformat(),
    )


async def played_tournament(app: Haven) -> int:
    """Alice and Bob played a final; Alice reported it (Bob won)."""
    repo = app.services["tournaments"].repo
    worker = await pid(app, PersonRef("recording", "u-worker", "Worker"))
    tid = await repo.create(
        platform="recording", room_id="lobby", name="Cup", game="Chess",
        format=Format.SINGLE_ELIMINATION, max_players=8, team_size=1, swiss_rounds=0,
        starts_at=T0, checkin_minutes=30, organiser=worker, organiser_user_id="u-worker",
        now=T0,
    )  # fmt: skip
    a, b = await pid(app, ALICE), await pid(app, BOB)
    await repo.add_player(tid, a, ALICE.user_id, "Alice", PlayerState.CHECKED_IN, T0)
    await repo.add_player(tid, b, BOB.user_id, "Bob", PlayerState.CHECKED_IN, T0)
    await repo.forbid(tid, a, b)
    bracket = brackets.generate(Format.SINGLE_ELIMINATION, [a, b])
    [final] = bracket.matches.values()
    await repo.save_start(tid, bracket, {})
    scores = (1, 3) if final.a == a else (3, 1)  # Alice 1, Bob 3
    await repo.put_report(tid, final.id, a, b, *scores, T0)
    brackets.report(bracket, final.id, b, *scores)
    await repo.save_bracket(tid, bracket)
    return tid


async def exported(app: Haven, who: PersonRef) -> dict[str, Any]:
    before = len(dms(app, who))
    reply = await run(app, who, "mydata export")
    assert reply.private and reply.kind is ReplyKind.INFO
    [sent] = [r for r in dms(app, who)[before:] if r.attachments]
    [attachment] = sent.attachments
    assert attachment.filename.endswith(".json") and attachment.mime == "application/json"
    return json.loads(attachment.data)


def everything(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# -- the notice ------------------------------------------------------------------------------


async def test_notice_on_first_command_only_once_and_again_on_request(app: Haven) -> None:
    await run(app, ALICE, "ping")
    [notice] = notices(app, ALICE)
    assert notice.private
    assert "!mydata export" in notice.text and "!mydata erase" in notice.text
    await run(app, ALICE, "ping")
    app.clock_.advance(timedelta(days=3))  # type: ignore[attr-defined]
    await run(app, ALICE, "help")
    assert len(notices(app, ALICE)) == 1
    again = await run(app, ALICE, "privacy")
    assert again.private and app.services["framework"].notices["en"] in again.text
    await run(app, BOB, "help")  # Bob's first command
    assert len(notices(app, BOB)) == 1 and len(notices(app, ALICE)) == 1


async def test_notice_is_in_the_persons_language(app: Haven) -> None:
    await app.people.set_language(await pid(app, ALICE), "fr")
    app.people.forget_cached(await pid(app, ALICE))
    await run(app, ALICE, "ping")
    [sent] = dms(app, ALICE)
    assert app.services["framework"].notices["fr"] in sent.text
    assert "Voir tes données" in sent.text


async def test_last_seen_is_written_at_most_once_a_day(app: Haven) -> None:
    async def last_seen() -> str | None:
        return await app.db.fetchval(
            "SELECT last_seen_at FROM person WHERE person_id = $1", await pid(app, ALICE)
        )

    await run(app, ALICE, "ping")
    first = await last_seen()
    assert first is not None
    app.clock_.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    await run(app, ALICE, "ping")
    assert await last_seen() == first  # same day: no write
    app.clock_.advance(timedelta(days=1))  # type: ignore[attr-defined]
    await run(app, ALICE, "ping")
    assert await last_seen() > first


async def test_notice_on_joining_a_screened_room_then_not_on_first_command(app: Haven) -> None:
    drain = app.services["notices"].drain
    await app.events.joined(MemberJoined(ALICE, None, T0))
    await drain()
    assert notices(app, ALICE) == []  # Haven is not serving yet: a join replayed at start
    await app.services["notices"].go_live()
    await app.events.joined(MemberJoined(ALICE, RoomRef("recording", "random-room"), T0))
    await drain()
    assert notices(app, ALICE) == []  # not a screened room
    await app.events.joined(MemberJoined(ALICE, None, T0))  # the guild: the lobby
    await drain()
    assert len(notices(app, ALICE)) == 1
    await app.events.joined(MemberJoined(ALICE, None, T0))
    await run(app, ALICE, "ping")
    await drain()
    assert len(notices(app, ALICE)) == 1


async def test_notice_in_a_dynamic_screened_room(app: Haven) -> None:
    async def resolver(room: RoomRef) -> str | None:
        return "discussion" if room.room_id == "talk-1" else None

    app.events.resolve_purpose(resolver)
    await app.services["notices"].go_live()
    await app.events.joined(MemberJoined(BOB, RoomRef("recording", "talk-1"), T0))
    await app.services["notices"].drain()
    assert len(notices(app, BOB)) == 1


# -- export ----------------------------------------------------------------------------------


async def test_export_holds_own_data_from_every_source_and_nobody_elses(app: Haven) -> None:
    fake = FakeSource(items={await pid(app, ALICE): ["note-1"], await pid(app, BOB): ["bob-x"]})
    app.personal_data.append(fake)
    await link(app, ALICE, ALICE_OTHER)
    await run(app, ALICE, "language", language="nl")
    tid = await played_tournament(app)
    data = await exported(app, ALICE)

    alice, bob = await pid(app, ALICE), await pid(app, BOB)
    assert data["person_id"] == alice
    foundation = data["data"]["foundation"]
    assert foundation["person"]["language"] == "nl"
    accounts = {(i["platform"], i["user_id"]) for i in foundation["identities"]}
    assert accounts == {("recording", "u-alice"), ("other", "o-alice")}
    [played] = data["data"]["tournaments"]["played"]
    assert played["tournament_id"] == tid and played["your_name"] == "Alice"
    [match] = played["your_matches"]
    assert match["result"] == "lost" and (match["your_score"], match["opponent_score"]) == (1, 3)
    assert data["data"]["tournaments"]["your_reports"][0]["match_id"] == match["match"]
    assert data["data"]["fake"] == {"items": ["note-1"]}
    text = everything(data)
    for foreign in (bob, BOB.user_id, "Bob", "bob-x", "u-worker"):
        assert foreign not in text, foreign
    actions = [e.action for e in await app.audit.for_object("person")]
    assert "privacy.export" in actions


# -- erase -----------------------------------------------------------------------------------


async def rows_naming(app: Haven, needles: list[str]) -> dict[str, int]:
    """Every table (from sqlite_master) with rows that contain one of `needles` anywhere."""
    tables = [
        r["name"]
        for r in await app.db.fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    found: dict[str, int] = {}
    for table in tables:
        for row in await app.db.fetch(f"SELECT * FROM {table}"):  # names from sqlite_master
            text = " ".join(str(value) for value in tuple(row))
            if any(needle in text for needle in needles):
                found[table] = found.get(table, 0) + 1
    return found


async def seed_everything(app: Haven) -> tuple[str, list[str]]:
    """Alice in every foundation table and a tournament; returns her id and needles."""
    alice = await pid(app, ALICE)
    await link(app, ALICE, ALICE_OTHER)
    await run(app, ALICE, "language", language="fr")
    await played_tournament(app)
    state = PlatformStateRepository(app.db, "recording")
    await state.set("dm_rooms", json.dumps({ALICE.user_id: "!dm-a", BOB.user_id: "!dm-b"}))
    await state.set("buttons:$e1", json.dumps({"actions": {}, "user": ALICE.user_id}))
    await state.set("buttons:$e2", json.dumps({"actions": {}, "user": BOB.user_id}))
    await run(app, ALICE, "mydata erase")  # a pending confirmation, never answered
    return alice, [alice, ALICE.user_id, ALICE_OTHER.user_id, "!dm-a"]


async def test_erase_leaves_no_row_naming_the_person_except_what_is_kept(app: Haven) -> None:
    fake = FakeSource(items={await pid(app, ALICE): ["note-1", "held-1"]}, held={"held-1"})
    app.personal_data.append(fake)
    alice, needles = await seed_everything(app)
    assert set(await rows_naming(app, needles)) >= {
        "person", "identity", "pending_confirmation", "platform_state", "tournament_player",
        "tournament_report", "tournament_forbidden_pair", "tournament",
    }  # fmt: skip

    prompt = await run(app, ALICE, "mydata erase")
    assert "cannot be undone" in app.catalogues.translator("en").gettext("privacy.erase.confirm")
    done = await confirm(app, ALICE, prompt)
    assert done.private and "effacées" in done.text  # her language was French
    # The audit trail stays (legal obligation), with its end date; the held item too.
    audit_until = (T0 + timedelta(days=1825)).astimezone(app.settings.zone).date().isoformat()
    assert audit_until in done.text
    assert done.text.count("•") == 2

    remaining = await rows_naming(app, needles)
    assert set(remaining) == {"audit_event"}, remaining
    assert fake.items[alice] == ["held-1"]
    # Bob's data is untouched; the tournament still has its two players and its result.
    repo = app.services["tournaments"].repo
    [tournament] = await repo.list_active("recording")
    players = await repo.players(tournament.tournament_id)
    assert sorted(p.display_name for p in players) == ["Bob", "—"]
    bob_state = await PlatformStateRepository(app.db, "recording").get("dm_rooms")
    assert json.loads(bob_state) == {BOB.user_id: "!dm-b"}
    assert await PlatformStateRepository(app.db, "recording").get("buttons:$e2")


async def test_held_person_keeps_only_the_account_link(app: Haven) -> None:
    alice, needles = await seed_everything(app)
    app.holds_.add(alice)  # type: ignore[attr-defined]
    done = await confirm(app, ALICE, await run(app, ALICE, "mydata erase"))
    assert "open case" not in done.text and "dossier encore ouvert" in done.text
    assert "1825" not in done.text
    assert "730" in done.text  # identity: then deleted within its retention
    remaining = await rows_naming(app, needles)
    assert set(remaining) == {"person", "identity", "audit_event"}, remaining
    row = await app.db.fetchrow("SELECT * FROM person WHERE person_id = $1", alice)
    assert row["language"] is None and row["notice_at"] is None

    # Export after erasure: only what is kept.
    data = await exported(app, ALICE)
    assert data["person_id"] == alice
    assert data["data"]["tournaments"] == {"played": [], "your_reports": [], "organised": []}
    assert data["data"]["foundation"]["pending_confirmations"] == []
    assert data["data"]["foundation"]["direct_rooms"] == []
    assert {i["user_id"] for i in data["data"]["foundation"]["identities"]} == {
        ALICE.user_id, ALICE_OTHER.user_id,
    }  # fmt: skip


async def test_erase_then_export_returns_only_what_is_kept(app: Haven) -> None:
    alice, _ = await seed_everything(app)
    await confirm(app, ALICE, await run(app, ALICE, "mydata erase"))
    data = await exported(app, ALICE)
    assert data["person_id"] != alice  # Haven no longer knows her: she is new again
    foundation = data["data"]["foundation"]
    assert [i["user_id"] for i in foundation["identities"]] == [ALICE.user_id]
    assert foundation["person"]["language"] is None
    assert data["data"]["tournaments"] == {"played": [], "your_reports": [], "organised": []}
    assert alice not in everything(data)
    # As a newcomer she was shown the notice again.
    assert len(notices(app, ALICE)) == 1 + 1


async def test_cancelled_erase_changes_nothing(app: Haven) -> None:
    _, needles = await seed_everything(app)
    before = await rows_naming(app, needles)
    prompt = await run(app, ALICE, "mydata erase")
    code = next(b.action for b in prompt.buttons if b.action.startswith("cancel:"))
    await run(app, ALICE, "cancel", code=code.split(":", 1)[1])
    after = await rows_naming(app, needles)
    assert after.keys() == before.keys() and after["tournament_player"] == 1


async def test_undelivered_notice_is_tried_again_next_day(app: Haven) -> None:
    platform = app.recording  # type: ignore[attr-defined]
    real = platform.send_private
    failing = True

    async def closed_dms(person: PersonRef, reply: Reply):
        if failing:
            raise ConnectionError("direct messages closed")
        return await real(person, reply)

    platform.send_private = closed_dms
    await run(app, ALICE, "ping")
    assert notices(app, ALICE) == []
    failing = False
    await run(app, ALICE, "ping")  # same day: not tried again yet (no write per command)
    assert notices(app, ALICE) == []
    app.clock_.advance(timedelta(days=1))  # type: ignore[attr-defined]
    await run(app, ALICE, "ping")
    assert len(notices(app, ALICE)) == 1
