"""A case file on each platform: opened from a concern, noted, assigned, a confirmed timeout
that really mutes the member, shown in full; members and youth workers are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.capabilities import Role
from tests.support.cases_driving import press_discreet, run_discreet
from tests.support.cases_fakes import FakeSafety
from tests.support.waiting import eventually


@pytest.fixture
def haven_setup():
    def setup(app) -> None:
        # The safety feature registers this service; until it is merged, a fake stands in.
        app.services["safety"] = FakeSafety()

    return setup


async def person_id(driver, who) -> str:
    ref = driver.person(who)
    return (await driver.app.people.ensure_person(ref.platform, ref.user_id)).person_id


async def test_a_case_from_concern_to_confirmed_timeout(driver):
    moderator = await driver.member("mod", Role.MODERATOR)
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    member = await driver.member("bob")
    flagged = await driver.post(member, "a message the detector flagged")
    now = datetime.now(UTC)
    driver.app.services["safety"].add(
        1, subject=await person_id(driver, member), at=now, platform=driver.platform,
        room_id=flagged.room_id, message_id=flagged.message_id, excerpt=flagged.body,
    )  # fmt: skip
    # The review card ("open case") lives in the safety feature; it calls this service.
    case_id = await driver.app.services["cases"].open_case(
        concern_ids=[1], opened_by=await person_id(driver, moderator), at=now
    )

    # A member (here the subject) and a youth worker never see a case (a mute comes later).
    for who in (member, worker):
        refused = await run_discreet(driver, who, "case show", case=case_id)
        assert refused.text.startswith("You are not allowed")
        assert "a message the detector flagged" not in refused.text

    typed: list = []
    noted = await run_discreet(
        driver, moderator, "case note", typed, case=case_id, text="Talked with the worker"
    )
    assert noted.private and noted.text == f"Note 1 added to case #{case_id}."
    for line in typed:  # Matrix: the typed command (with the note) leaves the lobby at once
        await driver.wait_message_removed(worker, line)
    assigned = await run_discreet(driver, moderator, "case assign", case=case_id, member=moderator)
    assert assigned.text.startswith(f"Case #{case_id} is now assigned to")
    triaged = await run_discreet(driver, moderator, "case state", case=case_id, state="triaged")
    assert triaged.text == f"Case #{case_id} is now triaged."

    prompt = await run_discreet(
        driver,
        moderator,
        "case action",
        case=case_id,
        kind="timeout",
        reason="threats",
        duration="1h",
    )
    assert f"“timeout” on case #{case_id}?" in prompt.text and "threats" not in prompt.text
    assert not await driver.is_muted(member)
    done = await press_discreet(driver, moderator, prompt, "confirm")
    assert done.text == f"Case #{case_id}: timeout — done. It is recorded on the case."
    await eventually(lambda: driver.is_muted(member))

    shown = await run_discreet(driver, moderator, "case show", case=case_id)
    assert shown.private
    mention = driver.adapter.mention(driver.person(moderator))
    for expected in (
        f"Case #{case_id} · triaged",
        f"Assigned to: {mention}",
        "Talked with the worker",
        "a message the detector flagged",
        f"timeout by {mention} (done): threats",
    ):
        assert expected in shown.text, expected

    entries = await driver.app.audit.for_object(f"case:{case_id}")
    actions = [e.action for e in entries]
    assert actions[0] == "case.open" and "case.action.result" in actions
    assert actions.index("case.refused") < actions.index("case.note") < actions.index("case.show")
    refused_by = {e.actor for e in entries if e.action == "case.refused"}
    assert refused_by == {await person_id(driver, member), await person_id(driver, worker)}
