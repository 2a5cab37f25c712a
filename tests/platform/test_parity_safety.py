"""The safety pipeline on both platforms: flagged messages, reports, escalation, restart."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.capabilities import Role
from tests.platform.parity_fixtures import start_discord_haven
from tests.support.drivers import DiscordDriver
from tests.support.safety_platform import (
    ROSTER,
    bot_texts_seen,
    member,
    moderators_room,
    person_id,
    posted,
    report,
    run_private,
    safety_setup,
    staff,
    use_fake_roster,
)
from tests.support.waiting import eventually


@pytest.fixture
def haven_setup():
    ROSTER.primary, ROSTER.backup = (), ()
    return safety_setup


@pytest.fixture
async def discord_driver(
    discord_emulator, discord_harness, tmp_path: Path, haven_setup
) -> AsyncIterator[DiscordDriver]:
    """The parity Discord driver, with a moderators channel configured."""
    app, guild, lobby, roles = await start_discord_haven(
        discord_emulator, tmp_path / "haven.db", haven_setup, purpose_channels=("moderators",)
    )
    driver = DiscordDriver(app, discord_emulator, guild, lobby, roles)
    yield driver
    await driver.app.close()


def token() -> str:
    return uuid.uuid4().hex[:8]


async def test_flagged_message_reaches_the_on_duty_moderator(driver):
    mod = await staff(driver, "mod")
    ann = await member(driver, "ann")
    on_call = await run_private(driver, mod, "oncall start")  # the real rota
    assert on_call.private
    mark = token()
    await driver.post(ann, f"{mark} i want to hurtmyself")
    card = await posted(driver, mod, mark)
    assert card["room"] == moderators_room(driver)
    assert f"||{mark} i want to hurtmyself||" in card["text"] and "URGENT" in card["text"]
    concern = next(iter(await driver.app.services["safety"].repo.listing(["open"])))
    ping = await posted(driver, mod, f"concern #{concern.concern_id} (URGENT) needs a reviewer")
    assert driver.person(mod).user_id in ping["text"]
    assert ping["room"] == moderators_room(driver)
    if driver.platform == "matrix":
        assert driver.person(mod).user_id in ping["raw"]["content"]["m.mentions"]["user_ids"]
        assert "data-mx-spoiler" in card["raw"]["content"]["formatted_body"]
    else:
        assert driver.person(mod).user_id in [u["id"] for u in ping["raw"]["mentions"]]
    # Its own thread (Discord) or room (Matrix), with the on-duty moderator in it.
    repo = driver.app.services["safety"].repo

    async def has_room() -> bool:
        return (await repo.get(concern.concern_id)).thread_room_id is not None

    await eventually(has_room, 15)
    # Urgent risk: the young person got help resources privately.
    help_text = await posted(driver, ann, "112")
    assert help_text["room"] != driver.lobby_ref.room_id
    # Only a person decides: acknowledging stops escalation.
    answer = await run_private(driver, mod, "concern ack", concern_id=concern.concern_id)
    assert answer.private and answer.text.startswith(f"You took concern #{concern.concern_id}")
    assert (
        await driver.app.services["safety"].repo.get(concern.concern_id)
    ).status == "acknowledged"
    planned = getattr(driver.adapter.moderation, "planned", [])
    assert planned == []


async def test_a_report_keeps_the_reporter_hidden(driver):
    mod = await staff(driver, "mod")
    ann, ben = await member(driver, "zoya"), await member(driver, "ben")
    await run_private(driver, mod, "oncall start")
    mark = token()
    target = await driver.post(ben, f"{mark} you are worthless")
    thanks = await report(driver, ann, target, "bullying")
    assert thanks.startswith("Thank you. Your report reached the moderators.")
    card = await posted(driver, mod, mark)
    ann_ref = driver.person(ann)
    assert "reported by a member" in card["text"]
    assert ann_ref.user_id not in card["text"] and "zoya" not in card["text"].lower()
    # Neither the reported member nor the lobby saw anything of it.
    ben_saw = await bot_texts_seen(driver, ben)
    assert not [t for t in ben_saw if mark in t or "report" in t.lower()]
    [concern] = [
        c
        for c in await driver.app.services["safety"].repo.listing(["open"])
        if mark in c.view.excerpt
    ]
    assert concern.view.source == "report"
    # A moderator may reveal the reporter only with a reason, audited.
    revealed = await run_private(
        driver,
        mod,
        "concern reporter",
        concern_id=concern.concern_id,
        access_reason="needed for a case",
    )
    assert revealed.private and ann_ref.user_id in revealed.text
    audit = await driver.app.audit.for_object(f"concern:{concern.concern_id}")
    assert [e.action for e in audit][-1] == "concern.reporter.reveal"
    refused = await run_private(driver, ben, "concern show", concern_id=concern.concern_id)
    assert mark not in refused.text and "Only moderators" in refused.text


async def test_unacknowledged_concern_re_pings_backup_then_coordinator_across_a_restart(driver):
    mod, backup = await staff(driver, "mod"), await staff(driver, "backup")
    boss = await staff(driver, "boss", Role.COORDINATOR)
    ann = await member(driver, "ann")
    use_fake_roster(driver.app)  # a backup without scheduling shifts
    ROSTER.primary = (await person_id(driver, mod),)
    ROSTER.backup = (await person_id(driver, backup),)
    mark = token()
    await driver.post(ann, f"{mark} there is a bombthreat at school")  # high: 30 minutes
    await posted(driver, mod, mark)
    concern = next(
        c
        for c in await driver.app.services["safety"].repo.listing(["open"])
        if mark in c.view.excerpt
    )
    cid = concern.concern_id
    await posted(driver, mod, f"concern #{cid} (high) needs a reviewer")
    now = datetime.now(UTC)
    job = f"concern:{cid}:deadline"
    await driver.app.scheduler.run_due(now + timedelta(minutes=10))
    assert await driver.app.scheduler.jobs.get_pending(job) is not None
    await driver.restart()  # the deadline survives a restart
    safety_setup(driver.app)
    use_fake_roster(driver.app)
    assert await driver.app.scheduler.run_due(now + timedelta(minutes=31)) >= 1
    backup_ping = await posted(driver, backup, f"(backup): concern #{cid}")
    assert driver.person(backup).user_id in backup_ping["text"]
    assert driver.person(mod).user_id not in backup_ping["text"]
    assert await driver.app.scheduler.run_due(now + timedelta(minutes=62)) >= 1
    boss_ping = await posted(driver, boss, f"(coordinator): concern #{cid}")
    assert driver.person(boss).user_id in boss_ping["text"]
    # Nobody after the coordinators: escalation ends there (the other jobs are not ours).
    assert await driver.app.scheduler.jobs.get_pending(job) is None
    assert (await driver.app.services["safety"].repo.get(cid)).escalation_step == 2


async def _admin(synapse_url: str, token: str, method: str, path: str, body: dict) -> int:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, synapse_url + path, json=body, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


async def test_homeserver_event_reports_become_concerns(matrix_driver, synapse_admin, synapse_url):
    driver = matrix_driver
    bot = driver.space.bot.user_id
    promote = f"/_synapse/admin/v2/users/{bot}"
    assert await _admin(synapse_url, synapse_admin.access_token, "PUT", promote, {"admin": True})
    try:
        mod = await staff(driver, "mod")
        use_fake_roster(driver.app)
        ROSTER.primary = (await person_id(driver, mod),)
        ann, ben = await member(driver, "zoya"), await member(driver, "ben")
        homeserver = driver.app.services["safety"].homeserver
        assert await homeserver.poll() == 0  # the first poll notes where reports stand
        mark = token()
        event_id = await ben.send(driver.lobby, f"{mark} a nasty message")
        path = f"/_matrix/client/v3/rooms/{driver.lobby}/report/{event_id}"
        status = await _admin(synapse_url, ann.access_token, "POST", path, {"reason": "abuse"})
        assert status == 200
        assert await homeserver.poll() == 1
        assert await homeserver.poll() == 0  # never twice
        [concern] = [
            c
            for c in await driver.app.services["safety"].repo.listing(["open"])
            if mark in c.view.excerpt
        ]
        assert concern.view.source == "report" and concern.view.message_id == event_id
        card = await posted(driver, mod, mark)
        assert "reported by a member" in card["text"] and ann.user_id not in card["text"]
    finally:
        await _admin(synapse_url, synapse_admin.access_token, "PUT", promote, {"admin": False})


async def test_a_report_by_link_in_private(driver):
    mod = await staff(driver, "mod")
    ann, ben = await member(driver, "zoya"), await member(driver, "ben")
    await run_private(driver, mod, "oncall start")
    mark = token()
    target = await driver.post(ben, f"{mark} you are trash")
    if driver.platform == "matrix":
        link = f"https://matrix.to/#/{target.room_id}/{target.message_id}"
        dm = await driver.adapter.private_room(ann.user_id)
        await eventually(lambda: dm in ann.client.rooms, 15)
        await ann.send(dm, f"!report {link} he is mean")
        answer = await posted(driver, ann, "Thank you")
        assert answer["room"] == dm
    else:
        link = f"https://discord.com/channels/{driver.guild['id']}/{target.room_id}/{target.message_id}"
        answer = await driver.run(ann, "report", message_link=link, details="he is mean")
        assert answer.private and answer.text.startswith("Thank you")
    card = await posted(driver, mod, mark)
    assert "reported by a member" in card["text"] and "zoya" not in card["text"].lower()
    [concern] = [
        c
        for c in await driver.app.services["safety"].repo.listing(["open"])
        if mark in c.view.excerpt
    ]
    assert concern.view.message_id == target.message_id
