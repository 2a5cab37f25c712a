"""Outreach check-ins on a real SQLite file: consent, decline respected, opt-out, who."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.replies import ReplyKind
from bot.features.helpdesk.model import Status
from tests.feature.test_helpdesk import ANN, BO, KIM, SAM, WORKER, Desk, open_desk


@pytest.fixture
async def desk(tmp_path: Path):
    opened = await open_desk(tmp_path)
    yield opened
    await opened.app.close()


async def test_a_declined_checkin_is_respected_for_the_configured_period(desk: Desk) -> None:
    sent = await desk.run(SAM, "outreach checkin", WORKER, member=ANN)
    assert "offered to Ann Peeters" in sent.text
    offer = desk.platform.last_in("dm:ann")
    assert "Sam, a youth worker" in offer.text and "Janssens" not in offer.text
    decline = next(b.action for b in offer.buttons if b.action.startswith("outreach decline:"))
    pending = await desk.run(SAM, "outreach checkin", WORKER, member=ANN)
    assert pending.kind is ReplyKind.ERROR and "not answered" in pending.text

    stolen = await desk.press(BO, decline)  # only Ann may answer her check-in
    assert stolen.kind is ReplyKind.ERROR
    declined = await desk.press(ANN, decline)
    assert "no problem" in declined.text
    assert "declined your check-in" in desk.platform.texts_in("dm:sam")[-1]
    twice = await desk.press(ANN, decline)
    assert twice.kind is ReplyKind.ERROR and "already answered" in twice.text

    dm_count = len(desk.platform.texts_in("dm:ann"))
    for worker in (SAM, KIM):  # every worker is bound by the decline
        refused = await desk.run(worker, "outreach checkin", WORKER, member=ANN)
        assert refused.kind is ReplyKind.ERROR and "declined a check-in recently" in refused.text
        assert "Thursday 19 February, 16:00" in refused.text  # 30 days after the decline
    assert len(desk.platform.texts_in("dm:ann")) == dm_count  # nothing was sent

    desk.clock.advance(timedelta(days=31))
    again = await desk.run(KIM, "outreach checkin", WORKER, member=ANN)
    assert again.kind is ReplyKind.INFO and len(desk.platform.texts_in("dm:ann")) == dm_count + 1
    actions = [e.action for e in await desk.app.audit.for_object("checkin1")]
    assert actions == ["outreach.checkin", "outreach.decline"]


async def test_accepting_opens_a_help_room_with_that_worker(desk: Desk) -> None:
    await desk.run(SAM, "outreach checkin", WORKER, member=ANN)
    offer = desk.platform.last_in("dm:ann")
    accept = next(b.action for b in offer.buttons if b.action.startswith("outreach accept:"))
    reply = await desk.press(ANN, accept)
    assert "private room with the youth worker is open" in reply.text
    request = await desk.service.repo.get(1)
    assert request.status is Status.OPEN and request.source == "outreach"
    assert request.worker_person_id == await desk.person_id(SAM)
    assert sorted(desk.platform.space_admin.rooms[request.room_id]) == ["ann", "sam"]
    decline = offer.buttons[1].action
    late = await desk.press(ANN, decline)
    assert late.kind is ReplyKind.ERROR  # answered already


async def test_opt_out_and_back_in(desk: Desk) -> None:
    await desk.run(ANN, "outreach optout")
    refused = await desk.run(SAM, "outreach checkin", WORKER, member=ANN)
    assert refused.kind is ReplyKind.ERROR and "asked not to receive check-ins" in refused.text
    no_notice = [t for t in desk.platform.texts_in("dm:ann") if not t.startswith("🔒")]
    assert no_notice == []  # (the privacy notice of her first command aside)
    await desk.run(ANN, "outreach optin")
    assert (await desk.run(SAM, "outreach checkin", WORKER, member=ANN)).kind is ReplyKind.INFO
    self_check = await desk.run(SAM, "outreach checkin", WORKER, member=SAM)
    assert self_check.kind is ReplyKind.ERROR
    member_tries = await desk.run(BO, "outreach checkin", member=ANN)
    assert member_tries.kind is ReplyKind.ERROR  # members cannot send check-ins


async def test_available_workers_by_first_name_and_queue_handed_over(desk: Desk) -> None:
    assert "No youth worker is shown as available" in (await desk.run(ANN, "outreach who")).text
    await desk.run(BO, "helpme")
    became = await desk.run(SAM, "outreach available", WORKER)
    assert "handed to you: 1" in became.text
    assert (await desk.service.repo.get(1)).status is Status.OPEN
    await desk.run(KIM, "outreach available", WORKER)
    who = await desk.run(ANN, "outreach who")
    assert "Sam, Kim" in who.text and "Janssens" not in who.text
    reply = await desk.run(ANN, "helpme")  # Kim has no open request: least busy first
    assert "with you now" in reply.text
    assert (await desk.service.repo.get(2)).worker_person_id == await desk.person_id(KIM)
    await desk.run(SAM, "outreach unavailable", WORKER)
    assert "Sam" not in (await desk.run(ANN, "outreach who")).text
    twice = await desk.run(SAM, "outreach unavailable", WORKER)
    assert twice.kind is ReplyKind.ERROR
