"""Matrix mutes end on time (across a restart), and dry-run mode changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import Haven
from bot.core.context import PersonRef
from bot.core.dry_run import DryRunModeration
from tests.support.matrix_harness import start_haven


async def level(app, room_id: str, user_id: str) -> int | None:
    import nio

    state = await app.adapters[0].client.room_get_state_event(room_id, "m.room.power_levels")
    assert isinstance(state, nio.RoomGetStateEventResponse)
    return (state.content.get("users") or {}).get(user_id)


async def test_mute_is_lifted_after_its_end_even_after_a_restart(
    matrix_space, matrix_members, tmp_path
):
    worker = await matrix_members("worker", power=20)
    lobby = matrix_space.layout.rooms["lobby"]
    space = matrix_space.layout.space_id
    db = tmp_path / "haven.db"
    app = await start_haven(matrix_space, db)
    person = PersonRef("matrix", worker.user_id)
    until = datetime.now(UTC) + timedelta(minutes=5)
    await app.adapters[0].moderation.timeout(person, until, "cool down")
    assert await level(app, lobby, worker.user_id) == -1
    assert await level(app, space, worker.user_id) == -1
    assert await app.adapters[0].moderation.lift_expired(datetime.now(UTC)) == 0
    await app.close()

    app = await start_haven(matrix_space, db)
    try:
        lifted = await app.adapters[0].moderation.lift_expired(until + timedelta(seconds=1))
        assert lifted == 1
        assert await level(app, lobby, worker.user_id) is None
        assert await level(app, space, worker.user_id) == 20  # the worker's role is back
    finally:
        await app.close()


async def test_dry_run_records_instead_of_acting(matrix_space, matrix_members, tmp_path):
    alice = await matrix_members("alice")
    settings = matrix_space.settings(tmp_path / "haven.db").model_copy(update={"dry_run": True})
    dry = Haven(settings, matrix_space.secrets())
    await dry.start()
    try:
        moderation = dry.adapters[0].moderation
        assert isinstance(moderation, DryRunModeration)
        person = PersonRef("matrix", alice.user_id)
        await moderation.remove_from_space(person, "rehearsal")
        assert [a.kind for a in moderation.planned] == ["remove_from_space"]
        lobby = matrix_space.layout.rooms["lobby"]
        assert await level(dry, lobby, alice.user_id) is None
        reply = await alice.command(lobby, "!ping")
        assert reply["content"]["body"] == "Pong! I'm listening."  # still in the space
    finally:
        await dry.close()
