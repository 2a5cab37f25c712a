"""The help desk on both platforms: a request queued with nobody on duty, handed to the
worker who comes on duty, both in the private room, what the member writes is stored,
closed; and the queue survives a restart.

The worker comes on duty with the rota's real `oncall start`. Requests are found by the
number in the member's answer.
"""

from __future__ import annotations

import re

from bot.core.capabilities import Role
from bot.features.helpdesk.model import Status
from tests.support.helpdesk_drivers import answer_containing, in_room, write_in_room
from tests.support.waiting import eventually


def request_number(text: str) -> int:
    found = re.search(r"#(\d+)", text)
    assert found is not None, text
    return int(found[1])


async def test_queued_request_goes_to_the_worker_who_comes_on_duty(driver):
    ann = await driver.member("ann")
    sam = await driver.member("sam", Role.YOUTH_WORKER)
    asked = await answer_containing(
        driver, ann, "helpme", "is saved", subject="family", message="Things are hard at home"
    )
    number = request_number(asked)
    service = driver.app.services["helpdesk"]
    assert (await service.repo.get(number)).status is Status.QUEUED

    queue = await driver.run(sam, "helpdesk queue")  # Sam is known to Haven from here on
    assert f"#{number}" in queue.text
    await answer_containing(driver, sam, "oncall start", "You are on duty")
    sam_ref = driver.person(sam)
    sam_id = (await driver.app.people.ensure_person(sam_ref.platform, sam_ref.user_id)).person_id

    request = await service.repo.get(number)
    assert request.status is Status.OPEN and request.worker_person_id == sam_id
    room = request.room_id
    await eventually(lambda: in_room(driver, ann, room), timeout=10)
    await eventually(lambda: in_room(driver, sam, room), timeout=10)
    welcome = await driver.wait_posted(sam, "is here for you")
    assert "Things are hard at home" in welcome

    await write_in_room(driver, ann, room, "My parents argue all the time")

    async def stored() -> bool:
        lines = await service.repo.transcript(number)
        return [(x.body, x.by_member) for x in lines] == [("My parents argue all the time", True)]

    await eventually(stored, timeout=10)
    prompt = await driver.run(sam, "helpdesk close", request=number, result="resolved")
    done = await driver.press(sam, prompt, "confirm")
    assert "closed" in done.text
    assert (await service.repo.get(number)).status is Status.CLOSED


async def test_a_queued_request_survives_a_restart(driver):
    ann = await driver.member("ann")
    sam = await driver.member("sam", Role.YOUTH_WORKER)
    asked = await answer_containing(driver, ann, "helpme", "is saved", message="Is anyone there?")
    number = request_number(asked)
    await driver.restart()
    request = await driver.app.services["helpdesk"].repo.get(number)
    assert request.status is Status.QUEUED and request.first_message == "Is anyone there?"
    queue = await driver.run(sam, "helpdesk queue")
    assert f"#{number}" in queue.text and "Is anyone there?" in queue.text
    claimed = await driver.run(sam, "helpdesk claim", request=number)
    assert f"You took help request #{number}" in claimed.text
    request = await driver.app.services["helpdesk"].repo.get(number)
    await eventually(lambda: in_room(driver, ann, request.room_id), timeout=10)


async def test_handover_invites_the_next_worker_and_passes_the_note_privately(driver):
    ann = await driver.member("ann")
    sam = await driver.member("sam", Role.YOUTH_WORKER)
    kim = await driver.member("kim", Role.YOUTH_WORKER)
    number = request_number(await answer_containing(driver, ann, "helpme", "saved", message="hi"))
    await answer_containing(driver, sam, "helpdesk claim", "You took", request=number)
    room = (await driver.app.services["helpdesk"].repo.get(number)).room_id
    await eventually(lambda: in_room(driver, sam, room), timeout=10)
    await answer_containing(
        driver, sam, "helpdesk handover", "not on duty or available",
        request=number, member=kim, note="she is shy",
    )  # fmt: skip
    assert not await in_room(driver, kim, room)
    await answer_containing(driver, kim, "outreach available", "as available")
    await answer_containing(
        driver, sam, "helpdesk handover", "note was sent to them privately",
        request=number, member=kim, note="she is shy",
    )  # fmt: skip
    await eventually(lambda: in_room(driver, kim, room), timeout=10)
    note = await driver.wait_posted(kim, "she is shy")
    assert f"#{number}" in note
    await driver.wait_posted(ann, "takes over from here")
